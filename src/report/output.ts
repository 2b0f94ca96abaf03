// The output interface every report format implements (console, JSON, CSV, raw NDJSON, progress...).
// Outputs are fed per finished request and once a second, must not block the hot path (buffer and
// write asynchronously), and are finished with the final report.
import type { RunMetricsView } from "../metrics/collector.js";
import type { LiveSnapshot, Report, RequestRecord } from "./types.js";

export type { LiveSnapshot };

export interface Output {
  readonly name: string;
  /**
   * Optional: handed a read-only view of the run's metrics before the first request; live views
   * read it when asked. A distributed run's controller hands a view of the workers' merged totals
   * (src/distributed/live.ts).
   */
  attach?(metrics: RunMetricsView): void;
  /** Called once per finished request, in finishing order. Must not block. */
  onRequest?(record: RequestRecord): void;
  /** Called about once a second while the run is in progress. */
  onTick?(snapshot: LiveSnapshot): void;
  /** Called once with the final (or partial, on interruption) report. Flushes and closes. */
  finish(report: Report): Promise<void>;
}
