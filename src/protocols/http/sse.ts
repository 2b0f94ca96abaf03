// Server-sent events on top of eventsource-parser: yields each event's data with the arrival time
// of the chunk that completed it.
import { createParser, type EventSourceParser } from "eventsource-parser";

export class SseSplitter {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private at = 0;

  constructor(onData: (data: string, at: number) => void) {
    this.parser = createParser({ onEvent: (event) => onData(event.data, this.at) });
  }

  push(chunk: Buffer, at: number): void {
    this.at = at;
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  flush(at: number): void {
    this.at = at;
    const tail = this.decoder.decode();
    // Deliver a last event whose closing blank line never came: some servers close right after it.
    this.parser.feed(tail + "\n\n");
  }
}
