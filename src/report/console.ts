// The end-of-run console summary. It opens with seed 000's "LOAD TEST RESULTS" block unchanged in shape,
// so people and scripts used to that layout find their figures, then adds the streaming detail:
// a latency table, tokens, errors, per-type figures, thresholds.
import { LATENCY_METRIC_NAMES } from "../metrics/registry.js";
import { assessmentLines } from "./assessment.js";
import type { Output } from "./output.js";
import { parseThreshold, reportLatencyMetrics, unitOf, type MetricUnit } from "./thresholds.js";
import type { LatencyBlock, Report, ThresholdResult, TypeBreakdown } from "./types.js";
import { voiceConsoleSection } from "../voice/console.js";

const RULE = "=".repeat(80);
const TABLE_STATS = ["min", "mean", "p50", "p90", "p95", "p99", "max"] as const;
/** Rows the streaming table always shows, even without data, so a missing measurement is visible. */
const CORE_ROWS = new Set(["ttft", "itl", "tpot", "e2e"]);

export interface RenderOptions {
  color?: boolean;
}

type Paint = (text: string) => string;

export interface Palette {
  bold: Paint;
  green: Paint;
  red: Paint;
  yellow: Paint;
}

export function palette(enabled: boolean): Palette {
  const ansi = (open: number, close: number): Paint =>
    enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
  return { bold: ansi(1, 22), green: ansi(32, 39), red: ansi(31, 39), yellow: ansi(33, 39) };
}

/** Colour only for a terminal, and never when the user opted out (https://no-color.org). */
export function shouldColor(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true && !process.env["NO_COLOR"];
}

function fixed2(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(2);
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

function bracket(fields: Array<[string, string | number]>): string {
  return `  [${fields.map(([key, value]) => `${key}=${value}`).join(", ")}]`;
}

/** Left-align the first column, right-align the rest (numbers), two spaces apart. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows.map((row) => {
    const cells = row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)));
    return `  ${cells.join("  ")}`.trimEnd();
  });
}

function configNumber(config: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = config?.[key];
  return typeof value === "number" ? value : undefined;
}

function seedBlock(report: Report, paint: Palette): string[] {
  const { summary, latency } = report;
  const run: Array<[string, string | number]> = [];
  // Open-model runs have no fixed client count; staged runs call their clients users.
  const clients = configNumber(report.config, "clients") ?? configNumber(report.config, "users");
  if (clients !== undefined) run.push(["total_clients", clients]);
  run.push(["total_cycles", summary.requests], ["duration", `${fixed2(summary.duration_s)}s`]);
  const e2e = latency["e2e"];
  const itl = latency["itl"];
  const totalErrors = Object.values(report.errors).reduce<number>((sum, count) => sum + (count ?? 0), 0);
  const failedConnections = report.connections.failed;
  return [
    paint.bold("LOAD TEST RESULTS"),
    RULE,
    `Test ${summary.interrupted ? "interrupted" : "completed"}. ${bracket(run).trim()}`,
    "",
    paint.bold("THROUGHPUT:"),
    bracket([
      ["requests_per_sec", fixed2(summary.requests_per_sec)],
      ["tokens_per_sec", fixed2(summary.tokens_per_sec)],
      ["cycles_per_sec", fixed2(summary.cycles_per_sec)],
    ]),
    "",
    paint.bold("REQUEST LATENCY (ms):"),
    e2e?.count ? bracket([["p50", fixed2(e2e.p50)], ["p95", fixed2(e2e.p95)], ["p99", fixed2(e2e.p99)], ["max", fixed2(e2e.max)]]) : "  [no data]",
    "",
    paint.bold("TOKEN LATENCY (ms):"),
    itl?.count ? bracket([["p50", fixed2(itl.p50)], ["p95", fixed2(itl.p95)], ["p99", fixed2(itl.p99)]]) : "  [no data]",
    "",
    paint.bold("CONNECTIONS:"),
    bracket([
      ["successful", report.connections.opened],
      ["failed", failedConnections > 0 ? paint.red(String(failedConnections)) : failedConnections],
      ["total_errors", totalErrors > 0 ? paint.red(String(totalErrors)) : totalErrors],
      // Only when it happened: requests sent again on a new connection after the server closed a kept-alive one.
      ...(report.connections.retried ? [["retried", report.connections.retried] as [string, number]] : []),
    ]),
    RULE,
  ];
}

/** Registry order follows a request's life (connect → queue → ... → e2e); protocol extras come after. */
function latencyRowNames(latency: LatencyBlock): string[] {
  const present = Object.keys(latency).filter((name) => (latency[name]?.count ?? 0) > 0);
  const registry: string[] = LATENCY_METRIC_NAMES.filter((name) => CORE_ROWS.has(name) || present.includes(name));
  const extras = present.filter((name) => !registry.includes(name)).sort();
  return [...registry, ...extras];
}

function streamingSection(report: Report, paint: Palette): string[] {
  const rows = latencyRowNames(report.latency).map((name) => {
    const summary = report.latency[name];
    const hasData = summary !== undefined && summary.count > 0;
    return [name.toUpperCase(), ...TABLE_STATS.map((stat) => (hasData ? fixed2(summary[stat]) : "-"))];
  });
  return [paint.bold("STREAMING (ms):"), ...table([["", ...TABLE_STATS], ...rows])];
}

function tokensSection(report: Report, paint: Palette): string[] {
  const { summary } = report;
  const lost = summary.tokens_lost > 0 ? paint.red(String(summary.tokens_lost)) : summary.tokens_lost;
  return [
    paint.bold("TOKENS:"),
    bracket([
      ["total", summary.tokens_total],
      ["per_sec", fixed2(summary.tokens_per_sec)],
      ["source", summary.tokens_source],
      ["lost", lost],
    ]),
  ];
}

/** Open models: the arrival rate actually achieved against the schedule. */
function arrivalsSection(report: Report, paint: Palette): string[] {
  const arrivals = report.arrivals;
  if (!arrivals) return [];
  return [
    paint.bold("ARRIVALS:"),
    bracket([
      ["count", arrivals.count],
      ["achieved_rps", arrivals.achieved_rps === null ? "-" : fixed2(arrivals.achieved_rps)],
      ["dropped", report.summary.dropped],
      ["max_lag_ms", fixed2(arrivals.max_lag_ms)],
    ]),
  ];
}

/** Prompt lengths sent: characters always; tokens by the --tokenizer, else usage prompt tokens when the server reported them. */
function promptsSection(report: Report, paint: Palette): string[] {
  const prompts = report.prompts;
  if (!prompts?.chars) return [];
  const measures = [["chars", prompts.chars], ["tokens", prompts.tokens]] as const;
  const lines = measures.flatMap(([name, s]) => (s ? [`  ${`${name}:`.padEnd(8)}${bracket([["min", s.min], ["mean", s.mean], ["p50", s.p50], ["p95", s.p95], ["max", s.max]]).trim()}`] : []));
  const countedBy = prompts.tokens_counted_by !== undefined && prompts.tokens_counted_by !== "usage" ? `; tokens by ${prompts.tokens_counted_by}` : "";
  return [paint.bold(`PROMPTS (${prompts.source}, ${prompts.chars.count} sent${countedBy}):`), ...lines];
}

function errorsSection(report: Report, paint: Palette): string[] {
  const counts = Object.entries(report.errors)
    .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
    .sort(([nameA, a], [nameB, b]) => b - a || nameA.localeCompare(nameB));
  if (counts.length === 0) return [];
  const requests = report.summary.requests;
  const rows = counts.map(([name, count]) => [name, String(count), requests > 0 ? percent(count / requests) : "-"]);
  const [header, ...lines] = table([["class", "count", "of requests"], ...rows]);
  return [paint.bold("ERRORS:"), header!, ...lines.map(paint.red)];
}

/** One row per slice of the run (request type, turn): its counts, rates and TTFT / e2e percentiles. */
function breakdownTable(column: string, slices: ReadonlyArray<[string, TypeBreakdown]>): string[] {
  const header = [column, "requests", "success", "req/s", "tok/s", "ttft_p50", "ttft_p95", "e2e_p95"];
  const rows = slices.map(([name, { summary, latency }]) => {
    const ttft = latency["ttft"];
    const e2e = latency["e2e"];
    return [
      name,
      String(summary.requests),
      summary.requests > 0 ? percent(summary.success_rate) : "-",
      fixed2(summary.requests_per_sec),
      fixed2(summary.tokens_per_sec),
      fixed2(ttft?.count ? ttft.p50 : null),
      fixed2(ttft?.count ? ttft.p95 : null),
      fixed2(e2e?.count ? e2e.p95 : null),
    ];
  });
  return table([header, ...rows]);
}

function byTypeSection(report: Report, paint: Palette): string[] {
  const types = Object.keys(report.by_type).sort();
  if (types.length < 2) return [];
  return [paint.bold("BY TYPE:"), ...breakdownTable("type", types.map((type) => [type, report.by_type[type]!]))];
}

/** Multi-turn runs: TTFT turn by turn (it falls as prefix caches warm), and how many conversations completed. */
function byTurnSection(report: Report, paint: Palette): string[] {
  const turns = Object.entries(report.by_turn ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  if (turns.length < 2 || !report.conversations) return [];
  const { started, completed } = report.conversations;
  return [paint.bold(`BY TURN (${completed} of ${started} conversations completed):`), ...breakdownTable("turn", turns)];
}

/** The expression's unit, read back from the expression itself; null when it no longer parses. */
function thresholdUnit(expression: string, report: Report): MetricUnit | null {
  try {
    return unitOf(parseThreshold(expression, { latencyMetrics: reportLatencyMetrics(report) }).metric);
  } catch {
    return null;
  }
}

function formatActual(result: ThresholdResult, report: Report): string {
  if (result.actual === null) return "no data";
  switch (thresholdUnit(result.expression, report)) {
    case "ms":
      return `${fixed2(result.actual)}ms`;
    case "s":
      return `${fixed2(result.actual)}s`;
    case "ratio":
      return percent(result.actual);
    default:
      return String(Number(result.actual.toFixed(4)));
  }
}

function thresholdsSection(report: Report, paint: Palette): string[] {
  if (report.thresholds.length === 0) return [];
  const width = Math.max(...report.thresholds.map((result) => result.expression.length));
  const lines = report.thresholds.map((result) => {
    const mark = result.ok ? paint.green("✓") : paint.red("✗");
    return `  ${mark} ${result.expression.padEnd(width)}  actual=${formatActual(result, report)}`;
  });
  return [paint.bold("THRESHOLDS:"), ...lines];
}

export function renderConsoleReport(report: Report, options: RenderOptions = {}): string {
  const paint = palette(options.color ?? false);
  const sections = [
    streamingSection(report, paint),
    voiceConsoleSection(report, paint.bold),
    tokensSection(report, paint),
    arrivalsSection(report, paint),
    promptsSection(report, paint),
    errorsSection(report, paint),
    byTypeSection(report, paint),
    byTurnSection(report, paint),
    thresholdsSection(report, paint),
    report.assessment ? assessmentLines(report.assessment, paint) : [],
    report.summary.interrupted ? [paint.yellow("Interrupted: partial results")] : [],
    report.summary.cancelled > 0 ? [`Cancelled in flight by the stop: ${report.summary.cancelled} requests (not counted as failures)`] : [],
    report.summary.dropped > 0 ? [paint.yellow(droppedLine(report))] : [],
  ].filter((section) => section.length > 0);
  const details = sections.flatMap((section) => ["", ...section]);
  return [...seedBlock(report, paint), ...details, RULE, ""].join("\n");
}

export interface ConsoleSummaryOptions {
  stream?: NodeJS.WritableStream;
}

/** Prints the summary once, at the end of the run. */
export class ConsoleSummaryOutput implements Output {
  readonly name = "console";
  private readonly stream: NodeJS.WritableStream;

  constructor(options: ConsoleSummaryOptions = {}) {
    this.stream = options.stream ?? process.stdout;
  }

  finish(report: Report): Promise<void> {
    const text = renderConsoleReport(report, { color: shouldColor(this.stream) });
    return new Promise((resolve, reject) => {
      this.stream.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }
}

/** Why arrivals were never sent: dropped at the cap, or (--queue-when-full) still waiting for a slot when the run stopped. */
function droppedLine(report: Report): string {
  const { dropped } = report.summary;
  return report.config["queueWhenFull"] === true
    ? `Still waiting for a slot when the run stopped: ${dropped} arrivals never sent (the target kept up with less than the arrival rate; raise --max-concurrent)`
    : `Dropped at the concurrency cap: ${dropped} arrivals never sent (raise --max-concurrent or use --queue-when-full)`;
}
