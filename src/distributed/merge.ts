// Merging the reports of a run's segments (or of runs side by side) into the report one process
// would have written: histograms added bucket by bucket (never percentiles averaged), counters
// summed, rates recomputed over the merged wall-clock span, timelines aligned on wall-clock seconds.
// The reports are folded back into a Collector so that the report is built by the same code; what a
// collector does not hold (prompt lengths, the whole run's load model) comes from the reports' merge
// data, and the run's thresholds and a voice run's assessment are evaluated again on the merged figures.
import { arrivalsBlock } from "../metrics/arrivals.js";
import { UsageError } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import { LatencyHistogram, type LatencySummary } from "../metrics/histogram.js";
import { MetricSet } from "../metrics/metric-set.js";
import { LATENCY_METRIC_NAMES, type LatencyMetricName } from "../metrics/registry.js";
import { assessmentFor } from "../report/assessment.js";
import { mergeClientBlocks } from "../metrics/self-watch.js";
import { buildReport } from "../report/build.js";
import { evaluateThresholds, parseThresholds } from "../report/thresholds.js";
import type { LatencyBlock, MergeData, PromptLengthStats, PromptsBlock, PromptsMergeData, Report, RunSummary, TimelinePoint, TypeBreakdown } from "../report/types.js";
import { lengthStats } from "../workload/prompt-stats.js";
import { TimelineMerger } from "../metrics/timeline-merge.js";
import { addCounts } from "./merge-data.js";
import { formatSegment } from "./segment.js";

export interface NamedReport {
  /** File name or worker label, for messages. */
  name: string;
  report: Report;
}

export interface MergeOptions {
  /** The merged report's config (default: the first report's, as the whole run). */
  config?: Record<string, unknown>;
  /** How many segments the run was cut into (default: what the reports say). */
  segmentCount?: number;
}

export interface MergeResult {
  report: Report;
  /** Segments ("i/N") that no report covers. */
  missing: string[];
  /** Things that could not be merged exactly (named in one line each). */
  warnings: string[];
}

const KNOWN_LATENCY: ReadonlySet<string> = new Set(LATENCY_METRIC_NAMES);

function addHistograms(set: MetricSet, encoded: Record<string, string>, name: string, warnings: string[]): void {
  for (const [metric, text] of Object.entries(encoded)) {
    if (!KNOWN_LATENCY.has(metric)) {
      warnings.push(`${name}: histogram "${metric}" is not a known metric; left out`);
      continue;
    }
    set.latency[metric as LatencyMetricName].add(LatencyHistogram.decode(text));
  }
}

function addSummary(set: MetricSet, summary: RunSummary): void {
  set.requests += summary.requests;
  set.successful += summary.successful;
  set.failed += summary.failed;
  set.cancelled += summary.cancelled ?? 0;
  set.dropped += summary.dropped ?? 0;
  set.tokens += summary.tokens_total;
  set.tokensLost += summary.tokens_lost;
  set.reasoningTokens += summary.reasoning_tokens_total ?? 0;
  set.toolCalls += summary.tool_calls_total ?? 0;
  for (const [outcome, counts] of Object.entries(summary.outcomes ?? {})) {
    if (counts) set.addOutcome(outcome as Parameters<MetricSet["addOutcome"]>[0], counts.attempts, counts.succeeded);
  }
}

/** A report's breakdown (by_type, by_turn) folded into the collector's sets of the same names. */
function addSlices(
  breakdown: Record<string, TypeBreakdown>,
  data: MergeData["by_type"],
  setOf: (name: string) => MetricSet,
  label: string,
  warnings: string[],
): void {
  for (const [name, slice] of Object.entries(breakdown)) {
    const set = setOf(name);
    addSummary(set, slice.summary);
    const sliceData = data[name];
    if (sliceData) {
      addCounts(set, sliceData.counts);
      addHistograms(set, sliceData.histograms, `${label}.${name}`, warnings);
    }
  }
}

/**
 * Timeline points are labelled by their end offset from each process's own zero; shifted to the
 * earliest zero, each lands in the whole second nearest its end. Points of one process that land in
 * the same second add up (their `active` is the later one's).
 */
function mergeTimelines(named: NamedReport[], zeroMs: number, exact: boolean): TimelineMerger {
  const merger = new TimelineMerger();
  named.forEach(({ report }, index) => {
    const shiftS = (report.merge!.started_at_unix_ms - zeroMs) / 1000;
    report.timeline.forEach((point: TimelinePoint, i) => {
      const histograms = exact ? (report.merge!.timeline_histograms![i] ?? {}) : null;
      merger.add(Math.max(1, Math.round(point.t_s + shiftS)), String(index), point, histograms);
    });
  });
  return merger;
}

/** Check the reports' segments: one N, no duplicates; returns the count and the missing ones. */
function checkSegments(named: NamedReport[], segmentCount: number | undefined): { count: number; merged: string[]; missing: string[] } {
  const seen = new Map<number, string>();
  let count = segmentCount ?? null;
  for (const { name, report } of named) {
    const label = report.merge!.segment;
    if (label === null) continue;
    const [index, total] = label.split("/").map(Number) as [number, number];
    if (count === null) count = total;
    if (total !== count) throw new UsageError(`${name}: segment ${label} is not one of ${count} segments like the others`);
    if (seen.has(index)) throw new UsageError(`${name}: segment ${label} is also in ${seen.get(index)}`);
    seen.set(index, name);
  }
  if (count === null) return { count: named.length, merged: [], missing: [] };
  const all = Array.from({ length: count }, (_, i) => i + 1);
  const label = (index: number): string => formatSegment({ index, count: count! });
  return { count, merged: all.filter((i) => seen.has(i)).map(label), missing: all.filter((i) => !seen.has(i)).map(label) };
}

/** The whole run's config, as a segment's report holds it (with that segment's marks removed). */
function wholeRunConfig(config: Record<string, unknown>): Record<string, unknown> {
  const whole = { ...config };
  const distributed = whole["distributed"];
  if (typeof distributed === "object" && distributed !== null) whole["distributed"] = { ...distributed, segment: null };
  if (typeof whole["load_model"] === "string") whole["load_model"] = whole["load_model"].replace(/ \(segment \d+\/\d+\)$/, "");
  return whole;
}

const PERCENTILE_STATS = ["p50", "p90", "p95", "p99", "p999"] as const;

/**
 * A decoded histogram knows its extremes only to its bucket's width (0.1%); the reports hold them
 * exactly. Put them back, and keep every percentile inside them as a single process does.
 */
function exactExtremes(merged: LatencyBlock, parts: LatencyBlock[]): void {
  for (const [metric, summary] of Object.entries(merged)) {
    const known = parts.map((p) => p[metric]).filter((s): s is LatencySummary => s !== undefined && s.count > 0);
    if (!summary || known.length === 0) continue;
    summary.min = Math.min(...known.map((s) => s.min));
    summary.max = Math.max(...known.map((s) => s.max));
    for (const stat of PERCENTILE_STATS) summary[stat] = Math.max(summary.min, Math.min(summary.max, summary[stat]));
  }
}

/**
 * The prompt length statistics of every report's prompts: their histograms added, extremes exact from
 * the reports' own blocks. Null when no report has prompt statistics, or when one lacks the histograms
 * (written before they were kept; said in a warning).
 */
function mergePrompts(named: NamedReport[], warnings: string[]): { block: PromptsBlock; data: PromptsMergeData } | null {
  if (!named.some(({ report }) => report.prompts)) return null;
  const without = named.filter(({ report }) => !report.merge!.prompts);
  if (without.length > 0) {
    warnings.push(`${without.map((n) => n.name).join(", ")}: no prompt length histograms (written by an older tokenstorm): the merged report has no prompts block`);
    return null;
  }
  const measure = (key: "chars" | "tokens"): { stats: PromptLengthStats | null; encoded: string | null } => {
    const histogram = new LatencyHistogram();
    for (const { report } of named) {
      const encoded = report.merge!.prompts![key];
      if (encoded) histogram.add(LatencyHistogram.decode(encoded));
    }
    const stats = lengthStats(histogram);
    const known = named.map(({ report }) => report.prompts?.[key]).filter((s): s is PromptLengthStats => !!s && s.count > 0);
    if (stats && known.length > 0) {
      stats.min = Math.min(...known.map((s) => s.min));
      stats.max = Math.max(...known.map((s) => s.max));
      stats.p50 = Math.max(stats.min, Math.min(stats.max, stats.p50));
      stats.p95 = Math.max(stats.min, Math.min(stats.max, stats.p95));
    }
    return { stats, encoded: histogram.count > 0 ? histogram.encode() : null };
  };
  const source = [...new Set(named.map(({ report }) => report.merge!.prompts!.source))].join(" + ");
  const chars = measure("chars");
  const tokens = measure("tokens");
  const countedBy = named.map(({ report }) => report.merge!.prompts!.tokens_counted_by).find((by) => by !== undefined);
  const by = countedBy === undefined ? {} : { tokens_counted_by: countedBy };
  return {
    block: { source, chars: chars.stats, tokens: tokens.stats, ...by },
    data: { source, chars: chars.encoded, tokens: tokens.encoded, ...by },
  };
}

/**
 * The merged config's load model: a segment's report describes its own share (3 of 6 clients), its
 * merge data the whole run's. Reports from before that was kept keep the first segment's, with a warning.
 */
function wholeLoadModel(named: NamedReport[], config: Record<string, unknown>, warnings: string[]): void {
  const segmentsOnly = named.filter(({ report }) => report.merge!.segment !== null);
  if (segmentsOnly.length === 0) return;
  const described = segmentsOnly.map(({ report }) => report.merge!.run_load_model).find((d) => d !== undefined);
  if (described !== undefined) config["load_model"] = described;
  else warnings.push(`${segmentsOnly[0]!.name}: no whole-run load model (written by an older tokenstorm): config.load_model describes one segment's share`);
}

/** The run's own thresholds (the config's, as the segments were given them), evaluated on the merged report. */
function runThresholds(report: Report, warnings: string[]): void {
  const expressions = report.config["thresholds"];
  if (!Array.isArray(expressions) || expressions.length === 0) return;
  try {
    report.thresholds = evaluateThresholds(parseThresholds(expressions.map(String)), report);
  } catch (err) {
    warnings.push(`the run's thresholds could not be evaluated: ${(err as Error).message}`);
  }
}

export function mergeReports(named: NamedReport[], options: MergeOptions = {}): MergeResult {
  if (named.length === 0) throw new UsageError("nothing to merge");
  for (const { name, report } of named) {
    if (!report.merge) throw new UsageError(`${name}: no merge data (written by an older tokenstorm, or not a run report)`);
  }
  const reports = named.map((n) => n.report);
  const warnings: string[] = [];
  const segments = checkSegments(named, options.segmentCount);

  const collector = new Collector();
  for (const { name, report } of named) {
    const merge = report.merge!;
    addHistograms(collector.overall, report.histograms, name, warnings);
    addSummary(collector.overall, report.summary);
    addCounts(collector.overall, merge.counts);
    collector.cycles += merge.cycles;
    addSlices(report.by_type, merge.by_type, (type) => collector.typeSet(type), `${name} by_type`, warnings);
    addSlices(report.by_turn ?? {}, merge.by_turn ?? {}, (turn) => collector.turnSet(turn), `${name} by_turn`, warnings);
    collector.conversationsStarted += report.conversations?.started ?? 0;
    collector.conversationsCompleted += report.conversations?.completed ?? 0;
    for (const [errorClass, count] of Object.entries(report.errors)) {
      const key = errorClass as Parameters<typeof collector.errors.get>[0];
      collector.errors.set(key, (collector.errors.get(key) ?? 0) + (count ?? 0));
    }
    collector.connectionsOpened += report.connections.opened;
    collector.connectionsFailed += report.connections.failed;
    collector.requestsRetried += report.connections.retried ?? 0;
    for (const metric of Object.keys(report.latency)) {
      if (!(metric in report.histograms) && !KNOWN_LATENCY.has(metric)) warnings.push(`${name}: latency "${metric}" has no histogram; left out`);
    }
  }

  const zeroMs = Math.min(...reports.map((r) => r.merge!.started_at_unix_ms));
  const endMs = Math.max(...reports.map((r) => r.merge!.started_at_unix_ms + r.summary.duration_s * 1000));
  const exact = reports.every((r) => r.merge!.timeline_histograms?.length === r.timeline.length);
  if (!exact) warnings.push("some reports carry no per-second histograms (not segment runs): merged timeline percentiles are left empty");
  collector.timeline.keepHistograms = exact;
  const seconds = mergeTimelines(named, zeroMs, exact);
  for (const second of seconds.secondsHeld()) seconds.closeInto(collector.timeline, second);

  const byTime = (key: "started_at" | "finished_at"): string[] => reports.map((r) => r.tokenstorm[key]).sort();
  let config = options.config;
  if (!config) {
    config = wholeRunConfig(reports[0]!.config);
    wholeLoadModel(named, config, warnings);
  }
  const report = buildReport({
    collector,
    config,
    durationS: (endMs - zeroMs) / 1000,
    interrupted: reports.some((r) => r.summary.interrupted),
    startedAtIso: byTime("started_at")[0]!,
    finishedAtIso: byTime("finished_at").at(-1)!,
    segment: null,
    startedAtUnixMs: zeroMs,
  });
  exactExtremes(report.latency, reports.map((r) => r.latency));
  for (const [type, breakdown] of Object.entries(report.by_type)) {
    exactExtremes(breakdown.latency, reports.map((r) => r.by_type[type]?.latency ?? {}));
  }
  for (const [turn, breakdown] of Object.entries(report.by_turn ?? {})) {
    exactExtremes(breakdown.latency, reports.map((r) => r.by_turn?.[turn]?.latency ?? {}));
  }
  const arrived = reports.filter((r) => r.arrivals && r.arrivals.count > 0 && r.arrivals.first_ms !== null);
  if (arrived.length > 0) {
    // Each segment's first and last arrival, moved onto the merged run's clock.
    const shift = (r: Report): number => r.merge!.started_at_unix_ms - zeroMs;
    report.arrivals = arrivalsBlock(
      arrived.reduce((sum, r) => sum + r.arrivals!.count, 0),
      Math.min(...arrived.map((r) => shift(r) + r.arrivals!.first_ms!)),
      Math.max(...arrived.map((r) => shift(r) + r.arrivals!.last_ms!)),
      Math.max(...arrived.map((r) => r.arrivals!.max_lag_ms)),
    );
  }
  const prompts = mergePrompts(named, warnings);
  if (prompts) report.prompts = prompts.block;
  // The merged report can be merged again: it carries what its own merge needs.
  report.merge = {
    ...report.merge!,
    ...(typeof config["load_model"] === "string" ? { run_load_model: config["load_model"] } : {}),
    ...(prompts ? { prompts: prompts.data } : {}),
  };
  report.segments = segments;
  // Each worker watched its own event loop: the run is saturated where any worker was.
  const client = mergeClientBlocks(reports.flatMap((r) => (r.client ? [r.client] : [])));
  if (client) report.client = client;
  runThresholds(report, warnings);
  const assessment = assessmentFor(report, String(config["protocol"] ?? ""));
  if (assessment) report.assessment = assessment;
  return { report, missing: segments.missing, warnings };
}
