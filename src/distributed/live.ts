// Live progress of a distributed run: the latest snapshot of every segment added together, and the
// percentiles of the last second from the segments' per-second histograms merged (not averaged).
import { LatencyHistogram } from "../metrics/histogram.js";
import type { LiveSnapshot } from "../report/output.js";

const SUMMED = ["active", "started", "completed", "failed", "tokens", "requests_per_sec", "tokens_per_sec"] as const;

function percentile(h: LatencyHistogram, p: number): number | null {
  return h.count === 0 ? null : Math.round(h.percentileMs(p) * 1000) / 1000;
}

export class LiveMerger {
  private readonly latest = new Map<string, LiveSnapshot>();
  /** Per-second histograms received since the last merged snapshot, by metric. */
  private pending: Record<string, LatencyHistogram> = {};
  /** Wall-clock time the workers start at, ms since the epoch. */
  startAtUnixMs = Date.now();

  constructor(private readonly segmentCount: number) {}

  add(segment: string, snapshot: LiveSnapshot, histograms: Record<string, string>): void {
    this.latest.set(segment, snapshot);
    for (const [metric, encoded] of Object.entries(histograms)) {
      (this.pending[metric] ??= new LatencyHistogram()).add(LatencyHistogram.decode(encoded));
    }
  }

  /** The merged view of the last second; a segment that stopped reporting keeps its last figures. */
  snapshot(): LiveSnapshot {
    const merged: LiveSnapshot = {
      elapsed_s: Math.max(0, Math.round((Date.now() - this.startAtUnixMs) / 100) / 10),
      active: 0,
      started: 0,
      completed: 0,
      failed: 0,
      tokens: 0,
      requests_per_sec: 0,
      tokens_per_sec: 0,
      ttft_p50: null,
      ttft_p95: null,
      itl_p50: null,
      e2e_p95: null,
      planned: null,
      errors: {},
    };
    let planned = 0;
    let plannedKnown = this.latest.size === this.segmentCount;
    for (const snapshot of this.latest.values()) {
      for (const key of SUMMED) merged[key] += snapshot[key];
      for (const [name, count] of Object.entries(snapshot.errors)) merged.errors[name] = (merged.errors[name] ?? 0) + count;
      if (snapshot.planned === null) plannedKnown = false;
      else planned += snapshot.planned;
    }
    if (plannedKnown) merged.planned = planned;
    const h = this.pending;
    if (h["ttft"]) Object.assign(merged, { ttft_p50: percentile(h["ttft"], 50), ttft_p95: percentile(h["ttft"], 95) });
    if (h["itl"]) merged.itl_p50 = percentile(h["itl"], 50);
    if (h["e2e"]) merged.e2e_p95 = percentile(h["e2e"], 95);
    this.pending = {};
    return merged;
  }
}
