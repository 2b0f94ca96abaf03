// The output a worker runs with: each second it sends its progress and that second's histograms to
// the controller, and at the end its whole (mergeable) report, over whatever channel carries them.
import type { Collector } from "../metrics/collector.js";
import type { LiveSnapshot, Output } from "../report/output.js";
import type { Report } from "../report/types.js";
import type { WorkerMessage } from "./protocol.js";

export type Send = (message: WorkerMessage) => Promise<void>;

export class FeedOutput implements Output {
  readonly name = "feed";
  private collector: Collector | null = null;

  constructor(
    private readonly segment: string,
    private readonly send: Send,
  ) {}

  attach(collector: Collector): void {
    this.collector = collector;
  }

  onTick(snapshot: LiveSnapshot): void {
    // The runner closes the second (and encodes its histograms) before the outputs tick.
    const histograms = this.collector?.timeline.histograms.at(-1) ?? {};
    void this.send({ kind: "tick", segment: this.segment, snapshot, histograms });
  }

  finish(report: Report): Promise<void> {
    return this.send({ kind: "report", segment: this.segment, report });
  }
}
