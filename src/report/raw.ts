// Raw per-request results (--raw): one JSON line per finished request, streamed to disk as requests
// finish so memory stays flat however long the run, and a crashed run still leaves valid NDJSON.
import { createWriteStream, mkdirSync, openSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import { dirname } from "node:path";
import { RunError } from "../errors.js";
import type { Output } from "./output.js";
import type { RequestRecord } from "./types.js";

/**
 * An append-only file of whole lines. Each line is one write, so whatever reached the disk before a
 * crash ends on a line boundary. Writes never wait: the stream buffers when the disk is slower than
 * the run, which is cheaper than stalling requests.
 */
export class LineFile {
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(private readonly path: string) {
    // Opened synchronously so an unwritable path stops the run before any load is sent.
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.stream = createWriteStream(path, { fd: openSync(path, "w") });
    } catch (err) {
      throw new RunError(`cannot write ${path}: ${(err as Error).message}`);
    }
    // Keep the run going if the disk fails; the error surfaces once, at close.
    this.stream.on("error", (err) => {
      this.failure ??= err;
    });
  }

  writeLine(line: string): void {
    if (this.failure === null) this.stream.write(`${line}\n`);
  }

  /** Flush everything buffered and close; rejects if any write failed. */
  async close(): Promise<void> {
    if (this.failure === null && !this.stream.writableEnded) {
      this.stream.end();
      // Rejects on a stream error, which the error listener has already recorded.
      await once(this.stream, "finish").catch(() => undefined);
    }
    if (this.failure !== null) throw new RunError(`cannot write ${this.path}: ${this.failure.message}`);
  }
}

/** Streams every finished request as one NDJSON line. */
export class RawRequestsOutput implements Output {
  readonly name = "raw";
  private readonly file: LineFile;

  constructor(path: string) {
    this.file = new LineFile(path);
  }

  onRequest(record: RequestRecord): void {
    this.file.writeLine(JSON.stringify(record));
  }

  finish(): Promise<void> {
    return this.file.close();
  }
}
