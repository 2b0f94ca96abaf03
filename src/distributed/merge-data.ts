// The `merge` block of a report: what merging needs beyond the contract's figures — exact counts that
// rates would round away, per-type histograms, per-second histograms of segment runs, and the
// wall-clock zero of the run clock so that the timelines of processes started apart line up. The
// whole run's load model and the prompt-length histograms are added by the load test, which holds them.
import { nowMs } from "../clock.js";
import type { Collector } from "../metrics/collector.js";
import type { MetricSet } from "../metrics/metric-set.js";
import type { MergeCounts, MergeData } from "../report/types.js";
import { formatSegment, type Segment } from "./segment.js";

function countsOf(set: MetricSet): MergeCounts {
  return { good: set.good, usage_counted: set.usageCounted, chunk_counted: set.chunkCounted, tokenizer_counted: set.tokenizerCounted };
}

/** Each slice's counts and encoded histograms (request types, turns). */
function slicesOf(collector: Collector, sets: ReadonlyMap<string, MetricSet>): MergeData["by_type"] {
  const slices: MergeData["by_type"] = {};
  for (const [name, set] of sets) slices[name] = { counts: countsOf(set), histograms: collector.encodedHistograms(set) };
  return slices;
}

export function mergeDataOf(collector: Collector, segment: Segment | null, startedAtUnixMs?: number): MergeData {
  const byType = slicesOf(collector, collector.byType);
  const data: MergeData = {
    started_at_unix_ms: startedAtUnixMs ?? Math.round(Date.now() - (nowMs() - collector.startedAt)),
    segment: segment ? formatSegment(segment) : null,
    cycles: collector.cycles,
    counts: countsOf(collector.overall),
    by_type: byType,
  };
  if (collector.byTurn.size > 0) data.by_turn = slicesOf(collector, collector.byTurn);
  if (collector.timeline.keepHistograms) data.timeline_histograms = collector.timeline.histograms;
  return data;
}

/** Fold a report's counts back into a metric set (the inverse of countsOf). */
export function addCounts(set: MetricSet, counts: MergeCounts): void {
  set.good += counts.good;
  set.usageCounted += counts.usage_counted;
  set.chunkCounted += counts.chunk_counted;
  set.tokenizerCounted += counts.tokenizer_counted ?? 0;
}
