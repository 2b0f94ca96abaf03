// Per-second timeline: counters for the current second plus small histograms that are summarised
// and reset at each second boundary, so memory stays flat however long the run.
import { LatencyHistogram } from "./histogram.js";
import type { TimelinePoint } from "../report/types.js";

function percentileOrNull(h: LatencyHistogram, p: number): number | null {
  return h.count === 0 ? null : Math.round(h.percentileMs(p) * 1000) / 1000;
}

export class TimelineRecorder {
  readonly points: TimelinePoint[] = [];
  started = 0;
  completed = 0;
  failed = 0;
  tokens = 0;
  readonly ttft = new LatencyHistogram();
  readonly itl = new LatencyHistogram();
  readonly e2e = new LatencyHistogram();
  /** Keep each second's histograms, encoded (segment runs), so merged timelines get exact percentiles. */
  keepHistograms = false;
  /** One entry per point when keepHistograms is on: metric name to encoded histogram (non-empty only). */
  readonly histograms: Array<Record<string, string>> = [];

  /** Close the current second, labelled by its end offset from the run start. */
  close(tS: number, active: number, activeUsers: number | null = null): TimelinePoint {
    const point: TimelinePoint = {
      t_s: tS,
      active,
      active_users: activeUsers,
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      tokens: this.tokens,
      ttft_p50: percentileOrNull(this.ttft, 50),
      ttft_p95: percentileOrNull(this.ttft, 95),
      itl_p50: percentileOrNull(this.itl, 50),
      itl_p95: percentileOrNull(this.itl, 95),
      e2e_p50: percentileOrNull(this.e2e, 50),
      e2e_p95: percentileOrNull(this.e2e, 95),
    };
    this.points.push(point);
    if (this.keepHistograms) this.histograms.push(this.encodeSecond());
    this.started = this.completed = this.failed = this.tokens = 0;
    this.ttft.reset();
    this.itl.reset();
    this.e2e.reset();
    return point;
  }

  private encodeSecond(): Record<string, string> {
    const encoded: Record<string, string> = {};
    for (const [name, h] of [["ttft", this.ttft], ["itl", this.itl], ["e2e", this.e2e]] as const) if (h.count > 0) encoded[name] = h.encode();
    return encoded;
  }
}
