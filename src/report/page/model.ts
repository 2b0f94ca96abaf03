// What the chart page draws, computed in Node: one or two runs (a report, a comparison, or the live
// run), each with its summary, per-second timeline and latency distributions taken from the HDR
// histograms. The HTML report, `compare --html` and the live web view all render this one shape.
import { Collector, type RunMetricsView } from "../../metrics/collector.js";
import { LatencyHistogram } from "../../metrics/histogram.js";
import type { LatencyBlock, Report, RunSummary, ThresholdResult, TimelinePoint, TypeBreakdown } from "../types.js";

/** Latency metrics whose distribution is charted (the rest stay in the tables). */
export const DISTRIBUTION_METRICS = ["ttft", "itl", "tpot", "e2e"] as const;

/**
 * A percentile curve as HDR plots draw it: x is 1/(1-q) (2 = p50, 10 = p90, 100 = p99...), y the
 * latency in ms at that quantile, so the tail gets as much room as the body.
 */
export interface Distribution {
  x: number[];
  ms: number[];
}

export interface PageRun {
  label: string;
  started_at: string;
  /** A few config facts worth a glance: protocol, target, load model. */
  facts: Record<string, string>;
  summary: RunSummary;
  latency: LatencyBlock;
  by_type: Record<string, TypeBreakdown>;
  /** Multi-turn runs (--turns): the same figures per turn number; absent otherwise. */
  by_turn?: Record<string, TypeBreakdown>;
  errors: Record<string, number>;
  thresholds: ThresholdResult[];
  timeline: TimelinePoint[];
  distributions: Record<string, Distribution>;
}

export interface PageData {
  title: string;
  /** "report": static; "live": the page polls `live.dataPath` each second for new figures. */
  mode: "report" | "live";
  runs: PageRun[];
  live?: { dataPath: string; intervalMs: number };
}

/** Steps per doubling of 1/(1-q): 5 gives a smooth curve from p50 out to the tail. */
const STEPS_PER_DOUBLING = 5;

export function distributionOf(histogram: LatencyHistogram): Distribution {
  const count = histogram.count;
  const result: Distribution = { x: [], ms: [] };
  if (count === 0) return result;
  // Stop where a quantile would rest on fewer than one sample; the max closes the curve.
  for (let step = 0; ; step++) {
    const x = 2 ** (step / STEPS_PER_DOUBLING);
    if (x > count) break;
    result.x.push(Math.round(x * 1000) / 1000);
    result.ms.push(Math.round(histogram.percentileMs(100 * (1 - 1 / x)) * 1000) / 1000);
  }
  const last = result.x.at(-1) ?? 1;
  result.x.push(Math.max(count, last * 1.01));
  result.ms.push(Math.round(histogram.percentileMs(100) * 1000) / 1000);
  return result;
}

function distributionsOf(histograms: (name: string) => LatencyHistogram | null): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const name of DISTRIBUTION_METRICS) {
    const histogram = histograms(name);
    if (histogram && histogram.count > 0) out[name] = distributionOf(histogram);
  }
  return out;
}

function factsOf(config: Record<string, unknown>): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const key of ["protocol", "target", "load_model", "model"]) {
    const value = config[key];
    if (typeof value === "string" || typeof value === "number") facts[key] = String(value);
  }
  return facts;
}

function decoded(report: Report, name: string): LatencyHistogram | null {
  const encoded = report.histograms[name];
  if (!encoded) return null;
  try {
    return LatencyHistogram.decode(encoded);
  } catch {
    return null; // a damaged histogram loses its chart, not the whole page
  }
}

export function pageRunFromReport(report: Report, label: string): PageRun {
  return {
    label,
    started_at: report.tokenstorm.started_at ?? "",
    facts: factsOf(report.config),
    summary: report.summary,
    latency: report.latency,
    by_type: report.by_type,
    ...(report.by_turn ? { by_turn: report.by_turn } : {}),
    errors: report.errors as Record<string, number>,
    thresholds: report.thresholds,
    timeline: report.timeline,
    distributions: distributionsOf((name) => decoded(report, name)),
  };
}

export interface LiveRunInputs {
  collector: RunMetricsView;
  label: string;
  startedAtIso: string;
  config: Record<string, unknown>;
  elapsedS: number;
  /** Only timeline points from this index on are sent (the page already has the earlier ones). */
  timelineFrom: number;
}

/** The run in progress, straight from the collector's histograms and counters. */
export function pageRunFromCollector(inputs: LiveRunInputs): PageRun {
  const { collector } = inputs;
  const byTurn = collector.byTurnBlock(inputs.elapsedS, false);
  return {
    label: inputs.label,
    started_at: inputs.startedAtIso,
    facts: factsOf(inputs.config),
    summary: collector.summaryOf(collector.overall, inputs.elapsedS, false),
    latency: Collector.latencyBlock(collector.overall),
    by_type: collector.byTypeBlock(inputs.elapsedS, false),
    ...(byTurn ? { by_turn: byTurn } : {}),
    errors: Object.fromEntries(collector.errors),
    thresholds: [],
    timeline: collector.timeline.points.slice(inputs.timelineFrom),
    distributions: distributionsOf((name) => collector.overall.latency[name as keyof typeof collector.overall.latency] ?? null),
  };
}

export function pageDataForReports(reports: Array<{ report: Report; label: string }>, title: string): PageData {
  return { title, mode: "report", runs: reports.map(({ report, label }) => pageRunFromReport(report, label)) };
}
