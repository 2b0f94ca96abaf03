// Splits a byte stream into text lines (NDJSON), handling UTF-8 sequences and lines cut across
// chunks. Every line delivered with a chunk gets that chunk's arrival time.
import { ErrorClass, RequestFailure } from "../../errors.js";

export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private rest = "";

  constructor(private readonly onLine: (line: string, at: number) => void) {}

  push(chunk: Buffer, at: number): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf("\n", start);
    while (newline !== -1) {
      const line = text.charCodeAt(newline - 1) === 13 ? text.slice(start, newline - 1) : text.slice(start, newline);
      if (line.length > 0) this.onLine(line, at);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    this.rest = start === 0 ? text : text.slice(start);
  }

  /** Deliver a last line that had no newline. */
  flush(at: number): void {
    const line = (this.rest + this.decoder.decode()).trim();
    this.rest = "";
    if (line.length > 0) this.onLine(line, at);
  }
}

/** Parse one JSON payload, turning a syntax error into the protocol's `malformed` failure. */
export function parseJsonPayload<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RequestFailure(ErrorClass.malformed, `${what}: invalid JSON ${JSON.stringify(text.slice(0, 80))}`);
  }
}

