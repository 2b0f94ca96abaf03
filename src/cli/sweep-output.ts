// What `tokenstorm sweep` prints and writes: one line per finished step while it runs, a table of every
// step with the capacity verdict at the end, and the same as JSON for --out.
import { palette, shouldColor, table } from "../report/console.js";
import { parseThreshold, unitOf } from "../report/thresholds.js";
import type { Report, ThresholdResult } from "../report/types.js";
import { VERSION } from "../version.js";
import type { SweepMode, SweepResult, SweepStep } from "../engine/sweep.js";

export interface SweepSettings {
  mode: SweepMode;
  stepDurationS: number;
  slos: readonly string[];
  stopAfterFailures: number;
  steps: string;
  emulator: Record<string, unknown> | null;
}

const UNIT_LABEL: Record<SweepMode, { column: string; unit: string }> = {
  rate: { column: "rate/s", unit: "requests/s" },
  concurrency: { column: "concurrency", unit: "concurrent requests" },
};

function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);
}

function latency(report: Report, metric: string, stat: "p50" | "p95"): number | null {
  const summary = report.latency[metric];
  return summary && summary.count > 0 ? summary[stat] : null;
}

/** `ttft.p95<200ms (was 389.2ms)`. */
function missed(result: ThresholdResult): string {
  if (result.actual === null) return `${result.expression} (no data)`;
  const unit = unitOf(parseThreshold(result.expression).metric);
  const actual = unit === "ms" ? `${fixed(result.actual)}ms` : unit === "ratio" ? `${fixed(result.actual * 100, 2)}%` : fixed(result.actual, 2);
  return `${result.expression} (was ${actual})`;
}

function verdict(step: SweepStep): string {
  if (step.interrupted) return "interrupted";
  return step.ok ? "pass" : `FAIL ${step.report.thresholds.filter((t) => !t.ok).map(missed).join(", ")}`;
}

/** `rate 20/s` or `concurrency 8`. */
export function stepName(mode: SweepMode, value: number): string {
  return mode === "rate" ? `rate ${value}/s` : `concurrency ${value}`;
}

export function stepLine(mode: SweepMode, step: SweepStep): string {
  const { summary } = step.report;
  const ttft = latency(step.report, "ttft", "p95");
  return (
    `tokenstorm: ${stepName(mode, step.value)}: ${fixed(summary.requests_per_sec)} req/s, ` +
    `ttft p95 ${fixed(ttft)} ms, success ${fixed(summary.success_rate * 100, 2)}% -> ${verdict(step)}`
  );
}

export function capacityLine(result: SweepResult): string {
  const { unit } = UNIT_LABEL[result.mode];
  const first = result.steps[0];
  if (result.capacity === null) {
    if (!first) return "capacity: unknown (no step finished)";
    return `capacity: none - the first step (${first.value} ${unit}) already misses the SLOs`;
  }
  if (!result.limitFound) {
    const why = result.interrupted ? "the sweep was interrupted" : "every step met the SLOs; raise the steps to find the limit";
    return `capacity: at least ${result.capacity} ${unit} (${why})`;
  }
  const failing = result.steps.find((s) => !s.ok)!;
  return `capacity: ${result.capacity} ${unit} (highest step meeting every SLO; ${failing.value} misses ${failing.failed.join(", ")})`;
}

export function renderSweep(result: SweepResult, settings: SweepSettings, stream: NodeJS.WritableStream): string {
  const paint = palette(shouldColor(stream));
  const header = [UNIT_LABEL[result.mode].column, "req/s", "tokens/s", "ttft p50", "ttft p95", "e2e p95", "success"];
  const rows = result.steps.map((step) => {
    const { report } = step;
    return [
      String(step.value),
      fixed(report.summary.requests_per_sec),
      fixed(report.summary.tokens_per_sec),
      fixed(latency(report, "ttft", "p50")),
      fixed(latency(report, "ttft", "p95")),
      fixed(latency(report, "e2e", "p95")),
      `${fixed(report.summary.success_rate * 100, 2)}%`,
    ];
  });
  // The verdict column is text of any length: it goes after the aligned figures.
  const results = ["result", ...result.steps.map((step) => (step.ok ? paint.green("pass") : paint.red(verdict(step))))];
  const lines = table([header, ...rows]).map((line, i) => `${line}  ${results[i]}`);
  const title = `CAPACITY SWEEP: ${result.mode}, ${settings.stepDurationS} s per step, SLOs ${settings.slos.join(", ")} (latencies in ms)`;
  const verdictLine = capacityLine(result);
  return [paint.bold(title), ...lines, "", result.limitFound ? paint.bold(verdictLine) : paint.yellow(verdictLine), ""].join("\n");
}

/** The --out document: settings, verdict, and each step's figures (summary, latency, errors, SLOs). */
export function sweepDocument(result: SweepResult, settings: SweepSettings): Record<string, unknown> {
  return {
    tokenstorm: { version: VERSION },
    sweep: {
      mode: result.mode,
      steps: settings.steps,
      step_duration_s: settings.stepDurationS,
      slos: settings.slos,
      stop_after_failures: settings.stopAfterFailures,
      target: result.target,
      embedded_emulator: result.embeddedEmulator,
      emulator: settings.emulator,
    },
    capacity: result.capacity,
    limit_found: result.limitFound,
    interrupted: result.interrupted,
    verdict: capacityLine(result),
    steps: result.steps.map((step) => ({
      value: step.value,
      ok: step.ok,
      interrupted: step.interrupted,
      failed_slos: step.failed,
      thresholds: step.report.thresholds,
      summary: step.report.summary,
      latency: step.report.latency,
      errors: step.report.errors,
    })),
  };
}
