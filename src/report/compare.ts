// Comparison of two saved runs (`tokenstorm compare`): the change in each headline figure and in every
// latency metric both runs measured, and rules on those changes (`ttft.p95<+10%`, `e2e.p99<+50ms`) that
// decide whether the new run regressed. Metric paths are the threshold grammar's, read the same way.
import { UsageError } from "../errors.js";
import { LATENCY_METRIC_NAMES, type SummaryMetricName } from "../metrics/registry.js";
import {
  formatMetric,
  holds,
  parseMetric,
  parseThreshold,
  readMetric,
  reportLatencyMetrics,
  unitOf,
  type ComparisonOp,
  type MetricRef,
  type MetricUnit,
  type ParseOptions,
} from "./thresholds.js";
import type { Report } from "./types.js";

/** `relative`: a fraction of the base value (`+10%` → 0.1); `absolute`: new − base in the metric's unit. */
export type ChangeKind = "relative" | "absolute";

export interface DeltaThreshold {
  expression: string;
  metric: MetricRef;
  op: ComparisonOp;
  change: ChangeKind;
  value: number;
}

export interface DeltaThresholdResult {
  expression: string;
  /** Canonical path of the metric the rule reads. */
  metric: string;
  unit: MetricUnit;
  change: ChangeKind;
  ok: boolean;
  base: number | null;
  new: number | null;
  /**
   * The change the rule was checked against (a fraction for relative rules, the metric's unit otherwise);
   * null when a run lacks the figure, which fails the rule, or for a relative change away from zero.
   */
  actual: number | null;
}

/** Which way a figure moves when the service gets worse. */
export type WorseWhen = "higher" | "lower";

export interface MetricDelta {
  metric: string;
  unit: MetricUnit;
  worse_when: WorseWhen;
  base: number | null;
  new: number | null;
  /** new − base; null when either run lacks the figure. */
  delta: number | null;
  /** delta / base as a fraction; null when either run lacks the figure or the base is zero. */
  relative: number | null;
  movement: "worse" | "better" | "same" | null;
  /** A failed rule reads this figure. */
  regression: boolean;
}

export interface Comparison {
  runs: { base: Report["tokenstorm"]; new: Report["tokenstorm"] };
  metrics: MetricDelta[];
  /** `default` when no rules were given and the built-in regression rules applied. */
  rules: "default" | "custom";
  thresholds: DeltaThresholdResult[];
  regression: boolean;
}

/** The run figures compared, each with the direction that counts as a regression. */
const SUMMARY_ROWS: ReadonlyArray<[SummaryMetricName, WorseWhen]> = [
  ["requests_per_sec", "lower"],
  ["tokens_per_sec", "lower"],
  ["success_rate", "lower"],
  ["error_rate", "higher"],
  ["goodput_per_sec", "lower"],
  ["tokens_lost", "higher"],
];
const LATENCY_ROW_STATS = ["p50", "p95", "p99", "mean"] as const;

const DEFAULT_LATENCY_RULE = ".p95<=+10%";
const DEFAULT_RUN_RULES = ["requests_per_sec>=-10%", "tokens_per_sec>=-10%", "success_rate>=-0.01"];
/** The built-in rules in words, for --help and the console. */
export const DEFAULT_RULES_DESCRIPTION = `<latency>${DEFAULT_LATENCY_RULE} for every latency metric both runs measured, ${DEFAULT_RUN_RULES.join(", ")}`;

/** The threshold grammar, except that the bound is a change and must say which way with its sign. */
const DELTA = /^\s*([^<>=!\s]+)\s*(<=|>=|==|!=|<|>)\s*([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$/;

function deltaError(expression: string, reason: string): UsageError {
  return new UsageError(`--threshold "${expression}": ${reason}`);
}

/** `ttft.p95<+10%` (relative to the base value) or `e2e.p99<+50ms`, `success_rate>-0.01` (absolute). */
export function parseDeltaThreshold(expression: string, options: ParseOptions = {}): DeltaThreshold {
  const parts = DELTA.exec(expression);
  if (!parts) throw deltaError(expression, "expected <metric><op><signed change>[unit], e.g. ttft.p95<+10% or e2e.p99<+50ms");
  const [, path = "", op = "", sign = "", amount = "", unit = ""] = parts;
  if (sign === "") throw deltaError(expression, `a change needs its sign: ${path}${op}+${amount}${unit} or ${path}${op}-${amount}${unit}`);
  // An absolute change is written like a plain threshold bound, units and all.
  if (unit !== "%") return { ...parseThreshold(expression, options), change: "absolute" };
  let metric: MetricRef;
  try {
    metric = parseMetric(path, options);
  } catch (err) {
    throw deltaError(expression, (err as Error).message);
  }
  return { expression: expression.trim(), metric, op: op as ComparisonOp, change: "relative", value: Number(`${sign}${amount}`) / 100 };
}

/** Parse every rule, reporting all bad ones in one message. */
export function parseDeltaThresholds(expressions: readonly string[], options: ParseOptions = {}): DeltaThreshold[] {
  const rules: DeltaThreshold[] = [];
  const problems: string[] = [];
  for (const expression of expressions) {
    try {
      rules.push(parseDeltaThreshold(expression, options));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return rules;
}

function measured(report: Report, name: string): boolean {
  return (report.latency[name]?.count ?? 0) > 0;
}

/** Latency metrics with data in both runs: the registry's in request-life order, protocol extras after. */
export function sharedLatencyMetrics(base: Report, next: Report): string[] {
  const shared = Object.keys(base.latency).filter((name) => measured(base, name) && measured(next, name));
  const registry: string[] = LATENCY_METRIC_NAMES.filter((name) => shared.includes(name));
  return [...registry, ...shared.filter((name) => !registry.includes(name)).sort()];
}

/** The built-in regression rules, expanded for the latency metrics these two runs share. */
export function defaultRules(base: Report, next: Report): string[] {
  return [...sharedLatencyMetrics(base, next).map((name) => `${name}${DEFAULT_LATENCY_RULE}`), ...DEFAULT_RUN_RULES];
}

/** Twelve significant digits: 0.95 − 0.96 must read as −0.01, or a rule at exactly −0.01 would fail. */
function tidy(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
}

/** The change between two readings; a relative change away from zero is ±Infinity. */
function changeBetween(base: number | null, next: number | null): { delta: number; relative: number } | null {
  if (base === null || next === null) return null;
  const delta = tidy(next - base);
  return { delta, relative: delta === 0 ? 0 : tidy(delta / Math.abs(base)) };
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function evaluateRule(rule: DeltaThreshold, base: Report, next: Report): DeltaThresholdResult {
  const baseValue = readMetric(base, rule.metric);
  const newValue = readMetric(next, rule.metric);
  const change = changeBetween(baseValue, newValue);
  const observed = rule.change === "relative" ? change?.relative : change?.delta;
  const ok = observed !== undefined && holds(observed, rule.op, rule.value);
  return {
    expression: rule.expression,
    metric: formatMetric(rule.metric),
    unit: unitOf(rule.metric),
    change: rule.change,
    ok,
    base: baseValue,
    new: newValue,
    actual: finiteOrNull(observed),
  };
}

function metricDelta(ref: MetricRef, worseWhen: WorseWhen, base: Report, next: Report, flagged: ReadonlySet<string>): MetricDelta {
  const baseValue = readMetric(base, ref);
  const newValue = readMetric(next, ref);
  const change = changeBetween(baseValue, newValue);
  const rose = (change?.delta ?? 0) > 0;
  const movement = change === null ? null : change.delta === 0 ? "same" : rose === (worseWhen === "higher") ? "worse" : "better";
  const metric = formatMetric(ref);
  return {
    metric,
    unit: unitOf(ref),
    worse_when: worseWhen,
    base: baseValue,
    new: newValue,
    delta: change?.delta ?? null,
    relative: finiteOrNull(change?.relative),
    movement,
    regression: flagged.has(metric),
  };
}

/**
 * Compare a new run with a base run. `thresholds` are rules on the change (`ttft.p95<+10%`); without any,
 * the built-in regression rules apply (DEFAULT_RULES_DESCRIPTION). A bad rule throws a UsageError.
 */
export function compareReports(base: Report, next: Report, thresholds: readonly string[] = []): Comparison {
  const custom = thresholds.length > 0;
  const latencyMetrics = new Set([...reportLatencyMetrics(base), ...reportLatencyMetrics(next)]);
  const rules = parseDeltaThresholds(custom ? thresholds : defaultRules(base, next), { latencyMetrics });
  const results = rules.map((rule) => evaluateRule(rule, base, next));
  const flagged = new Set(results.filter((result) => !result.ok).map((result) => result.metric));
  const summaryRows = SUMMARY_ROWS.map(([metric, worseWhen]) =>
    metricDelta({ kind: "summary", type: null, metric }, worseWhen, base, next, flagged),
  );
  const latencyRows = sharedLatencyMetrics(base, next).flatMap((metric) =>
    LATENCY_ROW_STATS.map((stat) => metricDelta({ kind: "latency", type: null, metric, stat }, "higher", base, next, flagged)),
  );
  return {
    runs: { base: base.tokenstorm, new: next.tokenstorm },
    metrics: [...summaryRows, ...latencyRows],
    rules: custom ? "custom" : "default",
    thresholds: results,
    regression: results.some((result) => !result.ok),
  };
}
