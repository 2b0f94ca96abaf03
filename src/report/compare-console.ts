// The console view of a comparison: each figure's base, new, change and direction, then the rules that
// decided the verdict, so a failed CI step shows at a glance what regressed and by how much.
import type { Comparison, DeltaThresholdResult, MetricDelta } from "./compare.js";
import { palette, table, type Palette } from "./console.js";
import type { MetricUnit } from "./thresholds.js";

const RULE = "=".repeat(80);

export interface CompareRenderOptions {
  color?: boolean;
  /** How to name the two runs, e.g. their file paths. */
  labels?: { base: string; new: string };
}

/** Rates keep four decimals so a 0.01 change reads as written in a rule; everything else two. */
function number(value: number, unit: MetricUnit): string {
  return value.toFixed(unit === "ratio" ? 4 : 2);
}

function signed(text: string): string {
  return text.startsWith("-") ? text : `+${text}`;
}

function percentChange(fraction: number): string {
  return `${signed((fraction * 100).toFixed(2))}%`;
}

function unitSuffix(unit: MetricUnit): string {
  return unit === "ms" || unit === "s" ? unit : "";
}

function marker(row: MetricDelta, paint: Palette): string {
  if (row.regression) return paint.red("✗ regression");
  if (row.movement === "worse") return paint.yellow("worse");
  if (row.movement === "better") return paint.green("better");
  return "";
}

/** Colour is applied after padding, so escape codes do not upset the column widths. */
function deltaTable(title: string, rows: MetricDelta[], paint: Palette): string[] {
  if (rows.length === 0) return [];
  const cells = rows.map((row) => [
    row.metric,
    row.base === null ? "-" : number(row.base, row.unit),
    row.new === null ? "-" : number(row.new, row.unit),
    row.delta === null ? "-" : signed(number(row.delta, row.unit)),
    row.relative === null ? "-" : percentChange(row.relative),
  ]);
  const [header, ...lines] = table([["", "base", "new", "delta", "change"], ...cells]);
  return ["", paint.bold(title), header!, ...lines.map((line, i) => `${line}  ${marker(rows[i]!, paint)}`.trimEnd())];
}

function formatActual(result: DeltaThresholdResult): string {
  if (result.base === null || result.new === null) return "no data";
  // The only finite readings without a finite change: a relative change away from zero.
  if (result.actual === null) return `from 0 to ${number(result.new, result.unit)}`;
  if (result.change === "relative") return percentChange(result.actual);
  return `${signed(String(Number(result.actual.toFixed(4))))}${unitSuffix(result.unit)}`;
}

function rulesSection(comparison: Comparison, paint: Palette): string[] {
  const width = Math.max(...comparison.thresholds.map((result) => result.expression.length));
  const title = comparison.rules === "default" ? "RULES (built-in defaults; --threshold replaces them):" : "RULES:";
  const lines = comparison.thresholds.map((result) => {
    const mark = result.ok ? paint.green("✓") : paint.red("✗");
    return `  ${mark} ${result.expression.padEnd(width)}  actual=${formatActual(result)}`;
  });
  return ["", paint.bold(title), ...lines];
}

function verdict(comparison: Comparison, paint: Palette): string {
  const failed = comparison.thresholds.filter((result) => !result.ok).length;
  if (failed === 0) return paint.green("No regression.");
  return paint.red(`REGRESSION: ${failed} of ${comparison.thresholds.length} rules failed`);
}

export function renderComparison(comparison: Comparison, options: CompareRenderOptions = {}): string {
  const paint = palette(options.color ?? false);
  const labels = options.labels ?? { base: "base", new: "new" };
  const { base, new: next } = comparison.runs;
  const latencyRows = comparison.metrics.filter((row) => row.unit === "ms");
  const runRows = comparison.metrics.filter((row) => row.unit !== "ms");
  return [
    paint.bold("RUN COMPARISON"),
    RULE,
    `  base: ${labels.base}  (tokenstorm ${base.version}, started ${base.started_at})`,
    `  new:  ${labels.new}  (tokenstorm ${next.version}, started ${next.started_at})`,
    ...deltaTable("RUN:", runRows, paint),
    ...deltaTable("LATENCY (ms):", latencyRows, paint),
    ...rulesSection(comparison, paint),
    RULE,
    verdict(comparison, paint),
    "",
  ].join("\n");
}
