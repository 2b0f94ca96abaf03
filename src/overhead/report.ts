// What `tokenstorm overhead` prints and writes: seed 004's StreamingMetrics block with the overhead
// and a PASS/FAIL line for the console, and every figure as JSON for --out.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { VERSION } from "../version.js";
import type { GapPercentiles, OverheadResult, StreamFigures } from "./result.js";

/** Two decimals, without the "-0.00" that tiny negative values would show. */
function ms(value: number | null): string {
  if (value === null) return "n/a";
  const text = value.toFixed(2);
  return text === "-0.00" ? "0.00" : text;
}

function signed(value: number): string {
  const text = ms(value);
  return text.startsWith("-") ? text : `+${text}`;
}

function percentiles(values: GapPercentiles, format: (value: number) => string): string {
  return `p50=${format(values.p50)} p90=${format(values.p90)} p99=${format(values.p99)} max=${format(values.max)}`;
}

/** The console summary, ending with the verdict against `maxOverheadMs`. */
export function formatOverheadText(result: OverheadResult, maxOverheadMs: number): string {
  const several = result.concurrency > 1;
  const lines = [
    "StreamingMetrics(",
    ...(several ? [`    streams=${result.concurrency},`] : []),
    `    received_tokens=${result.receivedTokens},`,
    `    expected_tokens=${result.expectedTokens},`,
    `    token_loss=${result.tokenLoss},`,
    `    total_streaming_time_ms=${ms(result.totalStreamingTimeMs)},`,
    `    mean_receive_interval_ms=${ms(result.meanReceiveIntervalMs)},`,
    `    throughput_tokens_per_second=${ms(result.throughputTokensPerSecond)},`,
    ")",
    `Overhead per token: ${ms(result.overheadMs)}ms${several ? " (all streams)" : ""}`,
  ];
  if (several) {
    const worst = result.worstStream;
    lines.push(
      `Worst stream: overhead ${ms(worst.overheadMs)}ms, mean interval ${ms(worst.meanReceiveIntervalMs)}ms, ` +
        `${worst.tokenLoss} tokens lost (streams with loss: ${result.streamsWithLoss} of ${result.concurrency})`,
    );
  }
  if (result.gaps.count > 0) {
    lines.push(`Token gaps (ms): ${percentiles(result.gaps, ms)}`);
    lines.push(`Jitter vs ${result.frequencyMs} ms (ms): ${percentiles(result.jitter, signed)}`);
  }
  const failures = result.failures(maxOverheadMs);
  if (failures.length > 0) {
    lines.push(`FAIL: ${failures.join("; ")}`);
  } else {
    lines.push(`PASS: no token loss, overhead ${ms(result.worstStream.overheadMs)} ms per token <= ${maxOverheadMs} ms`);
  }
  return `${lines.join("\n")}\n`;
}

function round3(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

function streamJson(figures: StreamFigures): Record<string, number | null> {
  return {
    received_tokens: figures.receivedTokens,
    expected_tokens: figures.expectedTokens,
    token_loss: figures.tokenLoss,
    total_streaming_time_ms: round3(figures.totalStreamingTimeMs),
    mean_receive_interval_ms: round3(figures.meanReceiveIntervalMs),
    overhead_ms: round3(figures.overheadMs),
    throughput_tokens_per_second: round3(figures.throughputTokensPerSecond),
  };
}

/**
 * The --out document: settings (with `settings`, what else shaped the run), aggregate and
 * worst-stream figures, gaps, jitter and the verdict.
 */
export function overheadReport(result: OverheadResult, maxOverheadMs: number, settings: Record<string, unknown>): Record<string, unknown> {
  const failures = result.failures(maxOverheadMs);
  return {
    tokenstorm: { version: VERSION },
    check: "streaming_overhead",
    config: {
      target: result.target,
      protocol: result.protocol,
      tokens: result.tokensPerStream,
      frequency_ms: result.frequencyMs,
      max_overhead_ms: maxOverheadMs,
      concurrency: result.concurrency,
      ...settings,
    },
    ...streamJson(result),
    worst_stream: streamJson(result.worstStream),
    streams_with_loss: result.streamsWithLoss,
    gaps_ms: result.gaps,
    jitter_ms: result.jitter,
    errors: result.errors,
    first_error: result.firstError,
    passed: failures.length === 0,
    failures,
  };
}

export async function writeOverheadReport(path: string, report: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
