// A tiny writer of the Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms whose buckets are derived from our HDR histograms when scraped. Shared by the load
// generator's exporter and the emulator's /metrics; no client library, nothing kept per sample.
import type { LatencyHistogram } from "../metrics/histogram.js";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Bucket bounds in seconds for streaming-latency histograms: 1 ms to 2 minutes. */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20,
  30, 60, 120,
];

export type Labels = Record<string, string>;

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Cumulative counts at each bound (seconds) from an HDR histogram; samples above the last bound only reach +Inf. */
export function cumulativeBuckets(histogram: LatencyHistogram, boundsS: readonly number[]): number[] {
  const cumulative = new Array<number>(boundsS.length).fill(0);
  let bound = 0;
  for (const [valueMs, count] of histogram.buckets()) {
    const valueS = valueMs / 1000;
    while (bound < boundsS.length && valueS > boundsS[bound]!) bound++;
    if (bound === boundsS.length) break;
    cumulative[bound]! += count;
  }
  for (let i = 1; i < cumulative.length; i++) cumulative[i]! += cumulative[i - 1]!;
  return cumulative;
}

/** Accumulates metric families and renders them; each family's HELP/TYPE is written once. */
export class Exposition {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  private declare(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    if (this.declared.has(name)) return;
    this.declared.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  counter(name: string, help: string, value: number, labels?: Labels): this {
    this.declare(name, "counter", help);
    this.lines.push(`${name}${labelText(labels)} ${numberText(value)}`);
    return this;
  }

  gauge(name: string, help: string, value: number, labels?: Labels): this {
    this.declare(name, "gauge", help);
    this.lines.push(`${name}${labelText(labels)} ${numberText(value)}`);
    return this;
  }

  /** A latency histogram in seconds, its buckets computed now from the HDR histogram. */
  histogram(name: string, help: string, histogram: LatencyHistogram, labels?: Labels, boundsS = LATENCY_BUCKETS_S): this {
    this.declare(name, "histogram", help);
    const counts = cumulativeBuckets(histogram, boundsS);
    boundsS.forEach((bound, i) => {
      this.lines.push(`${name}_bucket${labelText({ ...labels, le: numberText(bound) })} ${counts[i]}`);
    });
    this.lines.push(`${name}_bucket${labelText({ ...labels, le: "+Inf" })} ${histogram.count}`);
    // Microsecond precision, as recorded: no float noise in the text.
    this.lines.push(`${name}_sum${labelText(labels)} ${numberText(Math.round(histogram.sumMs * 1000) / 1e6)}`);
    this.lines.push(`${name}_count${labelText(labels)} ${histogram.count}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
