// The one registry of metric names: latency metrics (HDR histograms), summary figures and the
// timeline columns. Reports, thresholds and comparisons resolve names against this list only.

/** Latency metrics recorded per request (or per token for ITL), in milliseconds. */
export const LATENCY_METRICS = {
  connect: "TCP connection establishment, per new connection",
  queue: "intended start to the request's bytes being written: concurrency cap, connection pool, TCP connect",
  ttfb: "request written to response headers",
  ttft: "request written to first token",
  itl: "gap between consecutive token arrivals",
  tpot: "per request: (last token - first token) / (tokens - 1)",
  e2e: "request written to the end of the response",
} as const;

export type LatencyMetricName = keyof typeof LATENCY_METRICS;
export const LATENCY_METRIC_NAMES = Object.keys(LATENCY_METRICS) as LatencyMetricName[];

/** Run-level figures under `summary` in the report. */
export const SUMMARY_METRICS = {
  requests: "requests finished (successful + failed)",
  successful: "requests that completed without error",
  failed: "requests that ended in an error",
  success_rate: "successful / requests (0..1)",
  error_rate: "failed / requests (0..1)",
  duration_s: "wall time of the run, seconds",
  requests_per_sec: "finished requests per second",
  tokens_total: "output tokens received",
  tokens_per_sec: "output tokens per second",
  cycles_per_sec: "finished client cycles per second",
  tokens_lost: "tokens the server reported or was asked for but that never arrived",
  goodput_per_sec: "successful requests per second that met every latency SLO",
} as const;

export type SummaryMetricName = keyof typeof SUMMARY_METRICS;
