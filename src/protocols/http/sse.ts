// Server-sent events on top of eventsource-parser: yields each event's data with the arrival time
// of the chunk that completed it. The parser holds at most `maxLineBytes` characters of an open
// line and event; a stream that sends more fails as `malformed`.
import { createParser, type EventSourceParser } from "eventsource-parser";
import { DEFAULT_MAX_LINE_BYTES, lineTooLong } from "./lines.js";

export class SseSplitter {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private at = 0;
  private overflowed = false;

  constructor(
    onData: (data: string, at: number) => void,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.parser = createParser({
      onEvent: (event) => onData(event.data, this.at),
      maxBufferSize: maxLineBytes,
      // Unknown fields and bad retry values are ignored, as a browser would.
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") this.overflowed = true;
      },
    });
  }

  push(chunk: Buffer, at: number): void {
    this.at = at;
    this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  flush(at: number): void {
    this.at = at;
    const tail = this.decoder.decode();
    // Deliver a last event whose closing blank line never came: some servers close right after it.
    this.feed(tail + "\n\n");
  }

  private feed(text: string): void {
    if (this.overflowed) throw lineTooLong(this.maxLineBytes);
    this.parser.feed(text);
    if (this.overflowed) throw lineTooLong(this.maxLineBytes);
  }
}
