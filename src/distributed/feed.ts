// The output a worker runs with: each second it sends its progress, that second's histograms and its
// running totals to the controller, and at the end its whole (mergeable) report with its final
// totals, over whatever channel carries them.
import type { RunMetricsView } from "../metrics/collector.js";
import type { LiveSnapshot, Output } from "../report/output.js";
import type { Report } from "../report/types.js";
import { TotalsEncoder, type ReportMessage, type TickMessage } from "./live.js";
import type { WorkerMessage } from "./protocol.js";

export type Send = (message: WorkerMessage) => Promise<void>;

export class FeedOutput implements Output {
  readonly name = "feed";
  private collector: RunMetricsView | null = null;
  private totals: TotalsEncoder | null = null;

  constructor(
    private readonly segment: string,
    private readonly send: Send,
  ) {}

  attach(collector: RunMetricsView): void {
    this.collector = collector;
    this.totals = new TotalsEncoder(collector);
  }

  onTick(snapshot: LiveSnapshot): void {
    // The runner closes the second (and encodes its histograms) before the outputs tick.
    const histograms = this.collector?.timeline.histograms.at(-1) ?? {};
    const tick: TickMessage = { kind: "tick", segment: this.segment, snapshot, histograms };
    if (this.totals) tick.totals = this.totals.totals(true);
    void this.send(tick);
  }

  finish(report: Report): Promise<void> {
    const message: ReportMessage = { kind: "report", segment: this.segment, report };
    // The collector as the report was built from it: the controller's live figures end on these.
    if (this.totals) message.totals = this.totals.totals(false);
    return this.send(message);
  }
}
