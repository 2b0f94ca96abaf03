// k6-style thresholds (`ttft.p95<2500ms`, `success_rate>0.99`, `errors.http_500<1`): parsed up front so a
// typo fails the command with exit 2 before any load is sent, and evaluated against the final report,
// where a failure sets exit code 99. Metric paths also serve any other reader of report figures.
import { ErrorClass, UsageError } from "../errors.js";
import { LATENCY_STATS } from "../metrics/histogram.js";
import { LATENCY_METRIC_NAMES, OUTCOME_METRIC_NAMES, SUMMARY_METRICS, type SummaryMetricName } from "../metrics/registry.js";
import type { Report, ThresholdResult, TypeBreakdown } from "./types.js";

export type ComparisonOp = "<" | "<=" | ">" | ">=" | "==" | "!=";
export type LatencyStat = (typeof LATENCY_STATS)[number];

/** The report's breakdowns a metric path may narrow to: by request type, or by turn (--turns). */
export type Breakdown = "by_type" | "by_turn";

/**
 * A resolved metric path; `type` narrows it to one request type (`by_type.<type>.`) or, with
 * `breakdown: "by_turn"`, to one turn number of multi-turn runs (`by_turn.<turn>.`).
 */
export type MetricRef =
  | { kind: "latency"; type: string | null; metric: string; stat: LatencyStat; breakdown?: Breakdown }
  | { kind: "summary"; type: string | null; metric: SummaryMetricName; breakdown?: Breakdown }
  | { kind: "errors"; errorClass: string | null };

/** The unit a metric is naturally read in: the unit of `actual` and of a threshold's bound. */
export type MetricUnit = "ms" | "s" | "ratio" | "number";

export interface Threshold {
  expression: string;
  metric: MetricRef;
  op: ComparisonOp;
  /** The bound, already converted to the metric's natural unit. */
  value: number;
}

export interface ParseOptions {
  /** Latency metrics beyond the registry's (protocol extras such as `ttfa`, or keys of a loaded report). */
  latencyMetrics?: Iterable<string>;
}

const STAT_ALIASES: Record<string, LatencyStat> = { avg: "mean", med: "p50", median: "p50" };
const RATIO_METRICS: ReadonlySet<string> = new Set<SummaryMetricName>(["success_rate", "error_rate", ...OUTCOME_METRIC_NAMES]);
const MS_PER_UNIT: Record<string, number> = { us: 0.001, "µs": 0.001, ms: 1, s: 1000, m: 60_000 };
const KNOWN_ERROR_CLASSES: ReadonlySet<string> = new Set(Object.values(ErrorClass));
const HTTP_ERROR_CLASS = /^http_\d{3}$/;

const EXPRESSION = /^\s*([^<>=!\s]+)\s*(<=|>=|==|!=|<|>)\s*(\S.*?)\s*$/;
const BOUND = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)$/;

function isSummaryMetric(name: string): name is SummaryMetricName {
  return Object.hasOwn(SUMMARY_METRICS, name);
}

function isLatencyStat(name: string): name is LatencyStat {
  return (LATENCY_STATS as readonly string[]).includes(name);
}

/** k6's `p(95)` → `p95` (`p(99.9)` arrives as `p(999)`); named aliases such as `avg` → `mean`. */
function normaliseStat(stat: string): string {
  const k6 = /^p\((\d+)\)$/.exec(stat);
  if (k6) return `p${k6[1]}`;
  return STAT_ALIASES[stat] ?? stat;
}

function knownMetricsHint(latency: ReadonlySet<string>): string {
  return [...latency, ...Object.keys(SUMMARY_METRICS), "errors", "errors.<class>", "by_type.<type>.<metric>", "by_turn.<turn>.<metric>"].join(", ");
}

function parseErrorsPath(segments: string[]): MetricRef {
  if (segments.length === 1) return { kind: "errors", errorClass: null };
  const errorClass = segments.slice(1).join(".");
  if (!KNOWN_ERROR_CLASSES.has(errorClass) && !HTTP_ERROR_CLASS.test(errorClass)) {
    const known = [...KNOWN_ERROR_CLASSES, "http_<status>"].join(", ");
    throw new Error(`unknown error class "${errorClass}" (known: ${known})`);
  }
  return { kind: "errors", errorClass };
}

/** `<latency>.<stat>` or `<summary>`, optionally already narrowed to a request type. */
function parsePlainPath(segments: string[], type: string | null, latency: ReadonlySet<string>): MetricRef {
  const [name = "", rawStat, ...extra] = segments;
  if (latency.has(name)) {
    if (rawStat === undefined) throw new Error(`metric "${name}" needs a stat: ${name}.<stat>`);
    const stat = normaliseStat(rawStat);
    if (!isLatencyStat(stat) || extra.length > 0) {
      const known = [...LATENCY_STATS, ...Object.keys(STAT_ALIASES), "p(N)"].join(", ");
      throw new Error(`unknown stat "${segments.slice(1).join(".")}" for "${name}" (known: ${known})`);
    }
    return { kind: "latency", type, metric: name, stat };
  }
  if (isSummaryMetric(name)) {
    if (rawStat !== undefined) throw new Error(`metric "${name}" is a single figure and takes no stat`);
    return { kind: "summary", type, metric: name };
  }
  throw new Error(`unknown metric "${name}" (known: ${knownMetricsHint(latency)})`);
}

/**
 * `by_type.<type>.<metric>` or `by_turn.<turn>.<metric>`; a type may itself contain dots, so the
 * metric is read from the end.
 */
function parseBreakdownPath(breakdown: Breakdown, segments: string[], latency: ReadonlySet<string>): MetricRef {
  const last = segments[segments.length - 1] ?? "";
  const metricSegments = isSummaryMetric(last) || segments.length < 4 ? 1 : 2;
  const name = segments.slice(1, segments.length - metricSegments).join(".");
  if (name === "") throw new Error(breakdown === "by_type" ? "expected by_type.<type>.<metric>" : "expected by_turn.<turn>.<metric>");
  const ref = parsePlainPath(segments.slice(segments.length - metricSegments), name, latency);
  return breakdown === "by_turn" && ref.kind !== "errors" ? { ...ref, breakdown } : ref;
}

function latencySet(options: ParseOptions): ReadonlySet<string> {
  return new Set<string>([...LATENCY_METRIC_NAMES, ...(options.latencyMetrics ?? [])]);
}

function resolvePath(path: string, latency: ReadonlySet<string>): MetricRef {
  // Dots inside k6's `p(99.9)` are not path separators.
  const segments = path.replace(/p\((\d+)\.(\d+)\)/g, "p($1$2)").split(".");
  if (segments[0] === "errors") return parseErrorsPath(segments);
  if (segments[0] === "by_type" || segments[0] === "by_turn") return parseBreakdownPath(segments[0], segments, latency);
  return parsePlainPath(segments, null, latency);
}

/** Resolve a metric path such as `ttft.p95`, `by_type.short.e2e.p(99)` or `errors.timeout`. */
export function parseMetric(path: string, options: ParseOptions = {}): MetricRef {
  try {
    return resolvePath(path, latencySet(options));
  } catch (err) {
    throw new UsageError(`metric ${JSON.stringify(path)}: ${oneLine((err as Error).message)}`);
  }
}

/** The canonical spelling of a metric path (aliases resolved). */
export function formatMetric(ref: MetricRef): string {
  if (ref.kind === "errors") return ref.errorClass === null ? "errors" : `errors.${ref.errorClass}`;
  const prefix = ref.type === null ? "" : `${ref.breakdown ?? "by_type"}.${ref.type}.`;
  return ref.kind === "latency" ? `${prefix}${ref.metric}.${ref.stat}` : `${prefix}${ref.metric}`;
}

export function unitOf(ref: MetricRef): MetricUnit {
  if (ref.kind === "latency") return ref.stat === "count" ? "number" : "ms";
  if (ref.kind === "summary" && RATIO_METRICS.has(ref.metric)) return "ratio";
  if (ref.kind === "summary" && ref.metric === "duration_s") return "s";
  return "number";
}

/** Convert a written bound (`3s`, `1%`, `0.99`) to the metric's natural unit. */
function convertBound(amount: number, suffix: string, unit: MetricUnit, metricName: string): number {
  if (suffix === "") return amount;
  if (suffix === "%") {
    if (unit !== "ratio") throw new Error(`unit "%" applies only to rates, not to ${metricName}`);
    return amount / 100;
  }
  const ms = MS_PER_UNIT[suffix];
  if (ms === undefined) throw new Error(`unknown unit "${suffix}" (units: us, ms, s, m, %)`);
  if (unit === "ms") return amount * ms;
  if (unit === "s") return (amount * ms) / 1000;
  throw new Error(`unit "${suffix}" applies only to times, not to ${metricName}`);
}

function parseWith(expression: string, latency: ReadonlySet<string>): Threshold {
  const parts = EXPRESSION.exec(expression);
  const bound = parts ? BOUND.exec(parts[3]!) : null;
  if (!parts || !bound) {
    throw new Error("expected <metric><op><value>[unit], e.g. ttft.p95<2500ms (ops: < <= > >= == !=)");
  }
  const metric = resolvePath(parts[1]!, latency);
  const value = convertBound(Number(bound[1]), bound[2]!, unitOf(metric), formatMetric(metric));
  return { expression: expression.trim(), metric, op: parts[2] as ComparisonOp, value };
}

/** One line, whatever the expression holds: control characters are shown escaped. */
function thresholdError(expression: string, err: unknown): string {
  return `--threshold ${JSON.stringify(expression)}: ${oneLine((err as Error).message)}`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

export function parseThreshold(expression: string, options: ParseOptions = {}): Threshold {
  try {
    return parseWith(expression, latencySet(options));
  } catch (err) {
    throw new UsageError(thresholdError(expression, err));
  }
}

/** Parse every expression, reporting all bad ones at once rather than one per attempt. */
export function parseThresholds(expressions: readonly string[], options: ParseOptions = {}): Threshold[] {
  const latency = latencySet(options);
  const thresholds: Threshold[] = [];
  const problems: string[] = [];
  for (const expression of expressions) {
    try {
      thresholds.push(parseWith(expression, latency));
    } catch (err) {
      problems.push(thresholdError(expression, err));
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return thresholds;
}

/** Read a resolved metric from a report; null when the report holds no data for it. */
export function readMetric(report: Report, ref: MetricRef): number | null {
  if (ref.kind === "errors") {
    const counts: Partial<Record<string, number>> = report.errors;
    if (ref.errorClass !== null) return counts[ref.errorClass] ?? 0;
    return Object.values(counts).reduce<number>((sum, count) => sum + (count ?? 0), 0);
  }
  // A request type (or turn) that never ran has no entry at all.
  const scope: TypeBreakdown | undefined = ref.type === null ? report : ref.breakdown === "by_turn" ? report.by_turn?.[ref.type] : report.by_type[ref.type];
  if (ref.kind === "latency") {
    const summary = scope?.latency[ref.metric];
    if (!summary) return null;
    if (ref.stat === "count") return summary.count;
    return summary.count > 0 ? summary[ref.stat] : null;
  }
  const summary = scope?.summary;
  if (!summary || (RATIO_METRICS.has(ref.metric) && summary.requests === 0)) return null;
  const value = summary[ref.metric];
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** Every latency metric a report holds, overall, for one request type or one turn (protocol extras included). */
export function reportLatencyMetrics(report: Report): string[] {
  const slices = [...Object.values(report.by_type), ...Object.values(report.by_turn ?? {})];
  const blocks = [report.latency, ...slices.map((breakdown) => breakdown.latency)];
  return [...new Set(blocks.flatMap((block) => Object.keys(block)))];
}

/** Read any figure of a report by path, e.g. `metricValue(report, "ttft.p95")` (ms) or `"success_rate"`. */
export function metricValue(report: Report, metricPath: string): number | null {
  return readMetric(report, parseMetric(metricPath, { latencyMetrics: reportLatencyMetrics(report) }));
}

/** Whether `actual op bound` holds; shared by thresholds and run comparisons. */
export function holds(actual: number, op: ComparisonOp, bound: number): boolean {
  switch (op) {
    case "<":
      return actual < bound;
    case "<=":
      return actual <= bound;
    case ">":
      return actual > bound;
    case ">=":
      return actual >= bound;
    case "==":
      return actual === bound;
    case "!=":
      return actual !== bound;
  }
}

/** A metric without data fails its threshold: a gate must not pass because nothing was measured. */
export function evaluateThresholds(thresholds: readonly Threshold[], report: Report): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const actual = readMetric(report, threshold.metric);
    const ok = actual !== null && holds(actual, threshold.op, threshold.value);
    return { expression: threshold.expression, ok, actual };
  });
}
