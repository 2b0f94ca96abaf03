// The one registry of metric names: latency metrics (HDR histograms), summary figures and the
// timeline columns. Reports, thresholds and comparisons resolve names against this list only.

/** Latency metrics recorded per request (or per token for ITL), in milliseconds. */
export const LATENCY_METRICS = {
  connect: "TCP connection establishment, per new connection (WebSocket and gRPC: the whole dial)",
  tls: "TLS handshake after the TCP connect, per new https:// connection of the HTTP streaming protocols",
  queue: "intended start to the request's bytes being written: concurrency cap, connection pool, TCP connect",
  ttfb: "request written to response headers",
  ttft: "request written to first token",
  ttfc: "request written to first answer token (content or tool call; after any reasoning), for drivers that tell them apart",
  itl: "gap between consecutive token arrivals",
  tpot: "per request: (last token - first token) / (tokens - 1)",
  e2e: "request written to the end of the response",
  // Pub/sub (session): the token's publish time on the API node (its payload's `ts`) to its arrival.
  delivery: "session: token published by the API node to received through broker and gateway, per token",
  // Voice conversations (realtime, grpc-voice): recorded by the driver with trace.measure().
  ttfa: "voice: end of the user's speech to the first agent audio",
  response_total: "voice: end of the user's speech to the response fully delivered",
  barge_in: "voice: start of interrupting speech to the agent's audio stopping (response cancelled)",
  recovery: "voice: end of the interrupting query to the first audio of the new response",
  resume: "voice: end of a false-alarm noise to the agent's audio resuming",
  tool_call: "voice: function call received to the first audio after the tool output was returned",
  speech_lag: "voice, --speech-pacing realtime: per request, the latest of its audio appends behind the time its audio was spoken",
} as const;

export type LatencyMetricName = keyof typeof LATENCY_METRICS;
export const LATENCY_METRIC_NAMES = Object.keys(LATENCY_METRICS) as LatencyMetricName[];

/** Latency metrics a driver records itself per request (trace.measure), beyond the HTTP timestamps. */
export const MEASURED_METRIC_NAMES = ["ttfa", "response_total", "barge_in", "recovery", "resume", "tool_call", "speech_lag"] as const;
export type MeasuredMetricName = (typeof MEASURED_METRIC_NAMES)[number];

/** Per-request pass/fail outcomes a driver records (trace.outcome), reported as rates in `summary`. */
export const OUTCOME_METRICS = {
  false_alarm_resume_rate: "voice: false alarms after which the agent resumed its response / false alarms",
  tool_call_success_rate: "voice: tool calls whose response completed after the tool output / tool calls",
} as const;
export type OutcomeMetricName = keyof typeof OUTCOME_METRICS;
export const OUTCOME_METRIC_NAMES = Object.keys(OUTCOME_METRICS) as OutcomeMetricName[];

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
  reasoning_tokens_total: "reasoning tokens among the output tokens (openai-chat; absent when none arrived)",
  tool_calls_total: "tool calls the responses made (openai-chat; absent when none were made)",
  ...OUTCOME_METRICS,
} as const;

export type SummaryMetricName = keyof typeof SUMMARY_METRICS;

/**
 * Live traffic (`tokenstorm proxy`): the upstream gate and the traffic by model and route, exported
 * as tokenstorm_proxy_<name> beside the run metrics above (which the proxy fills from the streams
 * passing through it).
 */
export const PROXY_METRICS = {
  queue_depth: "requests waiting at the proxy for an upstream slot now",
  queue_depth_max: "the most requests that waited at the proxy at once since it started",
  upstream_in_flight: "requests holding an upstream slot now",
  max_upstream: "the upstream slot limit (--max-upstream; 0: none)",
  rejected_total: "requests answered 429 because the proxy's queue was full",
  unmeasured_total: "requests outside the streaming routes (model lists, health...), passed through",
  requests_by_route_total: "measured requests by API path",
  in_flight_by_model: "requests at the proxy (waiting or upstream) by model",
  queue_wait_seconds: "time an admitted request waited for an upstream slot (seconds)",
} as const;
export type ProxyMetricName = keyof typeof PROXY_METRICS;
