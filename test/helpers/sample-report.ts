// A realistic finished-run report and request record, built by hand so report tests do not depend on
// the engine. Every call returns a fresh copy that a test may change freely.
import type { LatencySummary } from "../../src/metrics/histogram.js";
import type { Report, RequestRecord, RunSummary } from "../../src/report/types.js";

function latency(min: number, mean: number, p50: number, p90: number, p95: number, p99: number, max: number, count: number): LatencySummary {
  return { count, min, mean, stddev: (p95 - p50) / 1.645, p50, p90, p95, p99, p999: max, max };
}

function summary(fields: Partial<RunSummary>): RunSummary {
  return {
    requests: 0,
    successful: 0,
    failed: 0,
    success_rate: 0,
    error_rate: 0,
    duration_s: 18.55,
    requests_per_sec: 0,
    tokens_total: 0,
    tokens_per_sec: 0,
    cycles_per_sec: 0,
    tokens_lost: 0,
    goodput_per_sec: 0,
    tokens_source: "usage",
    interrupted: false,
    cancelled: 0,
    dropped: 0,
    ...fields,
  };
}

/** 10 clients × 5 cycles against an emulator: 48 successes, one HTTP 500, one timeout. */
export function sampleReport(): Report {
  return {
    tokenstorm: { version: "0.1.0", started_at: "2025-01-01T10:00:00.000Z", finished_at: "2025-01-01T10:00:18.550Z" },
    config: { protocol: "openai-chat", target: "http://127.0.0.1:8000", clients: 10, cycles: 5, requests: 50 },
    summary: summary({
      requests: 50,
      successful: 48,
      failed: 2,
      success_rate: 0.96,
      error_rate: 0.04,
      requests_per_sec: 2.7,
      tokens_total: 5001,
      tokens_per_sec: 269.61,
      cycles_per_sec: 2.7,
      tokens_lost: 3,
      goodput_per_sec: 2.5,
    }),
    latency: {
      connect: latency(0.41, 0.62, 0.58, 0.8, 0.91, 1.2, 1.35, 10),
      ttft: latency(120.5, 180.25, 170.1, 230.4, 250.75, 310.2, 330.9, 49),
      itl: latency(8.1, 10.2, 10.05, 11.9, 12.5, 15.75, 40.2, 4900),
      tpot: latency(9.5, 10.4, 10.3, 11.2, 11.6, 12.9, 13.4, 48),
      e2e: latency(1210.4, 2400.8, 2789.42, 4400.1, 4701.31, 4752.32, 4758.55, 48),
    },
    by_type: {
      short: {
        summary: summary({ requests: 30, successful: 30, success_rate: 1, requests_per_sec: 1.62, tokens_total: 1500, tokens_per_sec: 80.86, cycles_per_sec: 1.62 }),
        latency: {
          ttft: latency(120.5, 160.3, 155.2, 190.8, 201.4, 230.1, 240.6, 30),
          e2e: latency(1210.4, 1500.2, 1480.7, 1700.3, 1750.9, 1800.2, 1810.3, 30),
        },
      },
      long: {
        summary: summary({ requests: 20, successful: 18, failed: 2, success_rate: 0.9, error_rate: 0.1, requests_per_sec: 1.08, tokens_total: 3501, tokens_per_sec: 188.73, cycles_per_sec: 1.08, tokens_lost: 3 }),
        latency: {
          ttft: latency(180.2, 210.6, 205.3, 290.4, 300.2, 330.9, 330.9, 19),
          e2e: latency(3900.5, 4500.4, 4600.2, 4720.8, 4740.1, 4758.55, 4758.55, 18),
        },
      },
    },
    errors: { http_500: 1, timeout: 1 },
    thresholds: [
      { expression: "ttft.p95<2500ms", ok: true, actual: 250.75 },
      { expression: "success_rate>0.99", ok: false, actual: 0.96 },
    ],
    timeline: [
      { t_s: 1, active: 10, active_users: null, started: 10, completed: 0, failed: 0, tokens: 420, ttft_p50: 170.1, ttft_p95: 250.75, itl_p50: 10.05, itl_p95: 12.5, e2e_p50: null, e2e_p95: null },
      { t_s: 2, active: 10, active_users: null, started: 3, completed: 3, failed: 0, tokens: 280, ttft_p50: 165.4, ttft_p95: 240.2, itl_p50: 10.1, itl_p95: 12.4, e2e_p50: 1300.2, e2e_p95: 1420.6 },
    ],
    connections: { opened: 10, failed: 0 },
    histograms: {},
  };
}

/** One finished request as the raw outputs receive it. */
export function sampleRecord(fields: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 1,
    type: "short",
    client: 0,
    cycle: 0,
    start_ms: 12.5,
    ok: true,
    status: 200,
    error_class: null,
    error: null,
    queue_ms: 0.02,
    ttfb_ms: 5.1,
    ttft_ms: 170.1,
    ttfc_ms: 170.1,
    e2e_ms: 1480.7,
    elapsed_ms: 1480.8,
    tpot_ms: 10.3,
    itl_mean_ms: 10.2,
    tokens: 100,
    chunks: 100,
    tokens_source: "usage",
    tokens_expected: 100,
    tokens_lost: 0,
    prompt_tokens: 12,
    reasoning_tokens: 0,
    tool_call_count: 0,
    ...fields,
  };
}
