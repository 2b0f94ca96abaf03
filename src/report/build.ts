// Builds the report object (PRODUCT.md contract) from a finished run's collector.
import { Collector } from "../metrics/collector.js";
import { mergeDataOf } from "../distributed/merge-data.js";
import type { Segment } from "../distributed/segment.js";
import { VERSION } from "../version.js";
import type { Report } from "./types.js";

export interface ReportInputs {
  collector: Collector;
  config: Record<string, unknown>;
  durationS: number;
  interrupted: boolean;
  startedAtIso: string;
  finishedAtIso: string;
  /** The segment this run is (its report says so, for merging). */
  segment?: Segment | null;
  /** Wall-clock time of the collector's zero; by default derived from its monotonic start. */
  startedAtUnixMs?: number;
}

export function buildReport(inputs: ReportInputs): Report {
  const { collector, durationS, interrupted } = inputs;
  const arrivals = collector.arrivals.block(collector.startedAt);
  // Segment runs keep older per-second histograms in a temporary file during the run.
  collector.timeline.restoreHistograms();
  const report: Report = {
    tokenstorm: { version: VERSION, started_at: inputs.startedAtIso, finished_at: inputs.finishedAtIso },
    config: inputs.config,
    summary: collector.summaryOf(collector.overall, durationS, interrupted),
    latency: Collector.latencyBlock(collector.overall),
    by_type: collector.byTypeBlock(durationS, interrupted),
    errors: Object.fromEntries(collector.errors),
    thresholds: [],
    timeline: collector.timeline.points,
    connections: { opened: collector.connectionsOpened, failed: collector.connectionsFailed, retried: collector.requestsRetried },
    histograms: collector.encodedHistograms(),
    merge: mergeDataOf(collector, inputs.segment ?? null, inputs.startedAtUnixMs),
  };
  if (arrivals) report.arrivals = arrivals;
  const byTurn = collector.byTurnBlock(durationS, interrupted);
  if (byTurn) {
    report.by_turn = byTurn;
    report.conversations = { started: collector.conversationsStarted, completed: collector.conversationsCompleted };
  }
  return report;
}
