// Splits a byte stream into text lines (NDJSON), handling UTF-8 sequences and lines cut across
// chunks. Every line delivered with a chunk gets that chunk's arrival time. A long line costs time
// in proportion to its length; past `maxLineBytes` it fails the request as `malformed`.
import { ErrorClass, RequestFailure } from "../../errors.js";

/** The longest line (NDJSON) or event (SSE) a stream may send, bytes: `run --max-line-bytes`. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

const CR = 13;

/** The failure of a stream that sent a line longer than the cap. */
export function lineTooLong(maxLineBytes: number): RequestFailure {
  return new RequestFailure(ErrorClass.malformed, `a line of the stream exceeded ${maxLineBytes} bytes (--max-line-bytes)`);
}

export class LineSplitter {
  private readonly decoder = new TextDecoder();
  /**
   * The line still open at the end of the last chunk. New text is appended (V8 joins such strings
   * lazily) and only the new text is searched for a newline, so no byte is scanned twice.
   */
  private rest = "";
  /**
   * The open line's length: bytes of the chunks that had no newline, characters of the piece after
   * the last one (never more than its bytes), so the cap holds to within one chunk.
   */
  private restBytes = 0;

  constructor(
    private readonly onLine: (line: string, at: number) => void,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer, at: number): void {
    const text = this.decoder.decode(chunk, { stream: true });
    let newline = text.indexOf("\n");
    if (newline === -1) {
      this.rest += text;
      this.restBytes += chunk.length;
      if (this.restBytes > this.maxLineBytes) this.overflow();
      return;
    }
    let start = 0;
    if (this.restBytes > 0) {
      if (this.restBytes + newline > this.maxLineBytes) this.overflow();
      const line = this.rest + text.slice(0, newline);
      this.rest = "";
      this.restBytes = 0;
      this.deliver(line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line, at);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    while (newline !== -1) {
      this.deliver(text.slice(start, newline > start && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline), at);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    if (start < text.length) {
      this.rest = text.slice(start);
      this.restBytes = text.length - start;
      if (this.restBytes > this.maxLineBytes) this.overflow();
    }
  }

  /** Deliver a last line that had no newline. */
  flush(at: number): void {
    const line = (this.rest + this.decoder.decode()).trim();
    this.rest = "";
    this.restBytes = 0;
    if (line.length > 0) this.deliver(line, at);
  }

  private deliver(line: string, at: number): void {
    if (line.length === 0) return;
    // Characters, never more than the line's bytes.
    if (line.length > this.maxLineBytes) this.overflow();
    this.onLine(line, at);
  }

  private overflow(): never {
    this.rest = "";
    this.restBytes = 0;
    throw lineTooLong(this.maxLineBytes);
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
