// The output interface every report format implements (console, JSON, CSV, raw NDJSON, progress...).
// Outputs are fed per finished request and once a second, must not block the hot path (buffer and
// write asynchronously), and are finished with the final report.
import type { Collector } from "../metrics/collector.js";
import type { Report, RequestRecord } from "./types.js";

/** What the live view sees once a second. Rates are over the last second. */
export interface LiveSnapshot {
  elapsed_s: number;
  active: number;
  started: number;
  completed: number;
  failed: number;
  tokens: number;
  requests_per_sec: number;
  tokens_per_sec: number;
  ttft_p50: number | null;
  ttft_p95: number | null;
  itl_p50: number | null;
  e2e_p95: number | null;
  /** Planned total requests when known (for a progress percentage). */
  planned: number | null;
  /** Staged model: users running now (absent or null for other load models). */
  active_users?: number | null;
  errors: Record<string, number>;
}

export interface Output {
  readonly name: string;
  /**
   * Optional: handed the run's collector before the first request; live views read it when asked.
   * A distributed run's controller hands a collector it keeps up to date with the workers' merged
   * totals (src/distributed/live.ts).
   */
  attach?(collector: Collector): void;
  /** Called once per finished request, in finishing order. Must not block. */
  onRequest?(record: RequestRecord): void;
  /** Called about once a second while the run is in progress. */
  onTick?(snapshot: LiveSnapshot): void;
  /** Called once with the final (or partial, on interruption) report. Flushes and closes. */
  finish(report: Report): Promise<void>;
}
