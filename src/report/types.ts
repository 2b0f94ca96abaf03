// The report's shape (PRODUCT.md contract): what --out writes and every output reads.
import type { LatencySummary } from "../metrics/histogram.js";
import type { ErrorClassName } from "../errors.js";
import type { MeasuredMetricName, OutcomeMetricName } from "../metrics/registry.js";
import type { ClientBlock } from "../metrics/self-watch.js";

export interface RunSummary {
  requests: number;
  successful: number;
  failed: number;
  success_rate: number;
  error_rate: number;
  duration_s: number;
  requests_per_sec: number;
  tokens_total: number;
  tokens_per_sec: number;
  cycles_per_sec: number;
  tokens_lost: number;
  goodput_per_sec: number;
  /** Where token counts came from: server usage figures, counted chunks, or both across requests. */
  tokens_source: "usage" | "tokenizer" | "chunks" | "mixed" | "none";
  /** The run was stopped early (Ctrl-C, SIGTERM, crash): the figures cover what had finished. */
  interrupted: boolean;
  /**
   * Requests cut off by the run's own stop (interruption, or the end of the graceful stop): not the
   * target's failures, so they are outside requests / failed / errors; their tokens still count.
   */
  cancelled: number;
  /** Open-model arrivals never sent: --max-concurrent requests were in flight, or still queued for a slot at the stop. */
  dropped: number;
  /** Reasoning tokens among tokens_total (openai-chat), present only when some arrived. */
  reasoning_tokens_total?: number;
  /** Tool calls the responses made (openai-chat), present only when some were made. */
  tool_calls_total?: number;
  /** Voice outcome rates (0..1), present only when such outcomes were recorded. */
  false_alarm_resume_rate?: number;
  tool_call_success_rate?: number;
  /** Attempts and successes behind each outcome rate. */
  outcomes?: Partial<Record<OutcomeMetricName, { attempts: number; succeeded: number }>>;
}

export type LatencyBlock = Partial<Record<string, LatencySummary>>;

export interface TypeBreakdown {
  summary: RunSummary;
  latency: LatencyBlock;
}

export interface ThresholdResult {
  expression: string;
  ok: boolean;
  /** The measured value the expression was checked against (null when the metric had no data). */
  actual: number | null;
}

/** One second of the run. Latency percentiles are over requests/tokens that arrived in that second. */
export interface TimelinePoint {
  t_s: number;
  /** Requests in flight at the end of the second. */
  active: number;
  /** Staged model: users running at the end of the second; null for other load models. */
  active_users: number | null;
  started: number;
  completed: number;
  failed: number;
  tokens: number;
  ttft_p50: number | null;
  ttft_p95: number | null;
  itl_p50: number | null;
  itl_p95: number | null;
  e2e_p50: number | null;
  e2e_p95: number | null;
  /** `tokenstorm proxy` sessions only: requests waiting at the proxy at the end of the second. */
  queue_depth?: number;
  /** `tokenstorm proxy`: the most requests waiting at once during the second. */
  queue_depth_max?: number;
  /** `tokenstorm proxy`: requests holding an upstream slot at the end of the second. */
  upstream_in_flight?: number;
  /** `tokenstorm proxy`: wait for an upstream slot of the requests admitted in the second, ms. */
  queue_wait_p50?: number | null;
  queue_wait_p95?: number | null;
  /** The generator's own event-loop delay p99 that second, ms (absent in merged and older reports). */
  client_loop_delay_p99_ms?: number;
  /** The generator's process CPU that second, percent of one core. */
  client_cpu_percent?: number;
}

/** Distribution of prompt lengths (characters, or usage prompt tokens). */
export interface PromptLengthStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

/** Open models: the arrival schedule as it was carried out. */
export interface ArrivalsBlock {
  /** Arrivals taken from the schedule (sent or dropped). */
  count: number;
  /** (count - 1) / (last arrival - first arrival): the rate actually achieved, requests/s. */
  achieved_rps: number | null;
  /** Latest arrival behind its intended time, ms (timer and event-loop lateness). */
  max_lag_ms: number;
  /** First and last arrival, ms from the run's start (for merging segments). */
  first_ms: number | null;
  last_ms: number | null;
}

export interface PromptsBlock {
  /** Where prompts came from: `built-in short,medium` or `dataset FILE`. */
  source: string;
  chars: PromptLengthStats | null;
  /** Counted by the --tokenizer on what was sent, else from the server's usage figures; null when neither. */
  tokens: PromptLengthStats | null;
  /** Who counted `tokens`: "usage", or the tokenizer's name (absent in older reports: usage). */
  tokens_counted_by?: string;
}

/** `tokenstorm proxy` sessions: the upstream gate and what passed through unmeasured. */
export interface ProxyBlock {
  max_upstream: number;
  max_queue: number;
  /** The most requests that waited at the proxy at once. */
  queue_depth_max: number;
  /** Requests answered 429 because the queue was full. */
  rejected: number;
  /** Requests outside the measured routes (model lists...), passed through. */
  unmeasured: number;
  /** Measured requests by API path. */
  by_route: Record<string, number>;
  /** Wait for an upstream slot of every admitted request, ms. */
  queue_wait: LatencySummary | null;
}

export interface Report {
  tokenstorm: { version: string; started_at: string; finished_at: string };
  config: Record<string, unknown>;
  summary: RunSummary;
  latency: LatencyBlock;
  by_type: Record<string, TypeBreakdown>;
  /** Multi-turn runs (--turns): the same figures per turn number ("1", "2"...), TTFT falling as prefix caches warm. */
  by_turn?: Record<string, TypeBreakdown>;
  /** Multi-turn runs: conversations begun, and those whose every turn succeeded. */
  conversations?: ConversationsBlock;
  errors: Partial<Record<ErrorClassName, number>>;
  thresholds: ThresholdResult[];
  timeline: TimelinePoint[];
  /** Open models: how the arrival schedule was carried out. */
  arrivals?: ArrivalsBlock;
  /** Prompt length statistics (absent in reports from before it existed). */
  prompts?: PromptsBlock;
  /** `retried`: requests sent again after their kept-alive connection turned out closed (absent in older reports). */
  connections: { opened: number; failed: number; retried?: number };
  /** Encoded HDR histograms per latency metric, so reports can be merged without losing accuracy. */
  histograms: Record<string, string>;
  /** Exact counts and histograms `tokenstorm merge` needs beyond the figures above (docs/distributed.md). */
  merge?: MergeData;
  /** A merged run: its segments, and any that never reported (a worker died). */
  segments?: { count: number; merged: string[]; missing: string[] };
  /** A `tokenstorm proxy` session: its upstream gate and routes. */
  proxy?: ProxyBlock;
  /** Voice runs: good / warning by seed 002's "Interpreting results" (src/report/assessment.ts). */
  assessment?: Assessment;
  /** The load generator's own load: saturated or not (src/metrics/self-watch.ts). */
  client?: ClientBlock;
  /** When the target is a tokenstorm emulator: its own timing error, so its lag is not read as the system's. */
  emulator?: EmulatorBlock;
}

export interface ConversationsBlock {
  /** Conversations whose first turn was sent. */
  started: number;
  /** Conversations whose every turn succeeded (a failed turn, or the run's stop, leaves one incomplete). */
  completed: number;
}

export interface EmulatorBlock {
  /** The emulator's |fired - due| over its firings since it started or was last reset (GET /stats). */
  lateness: LatencySummary;
  /** Tokens it sent during this run. */
  tokens_sent: number;
  /** Worker processes of an `emulate --workers` target. */
  workers?: number;
}

/** Counts of one slice of a run that its rates and sources alone would lose. */
export interface MergeCounts {
  good: number;
  usage_counted: number;
  chunk_counted: number;
  /** Requests whose output tokens a --tokenizer counted (absent in older reports). */
  tokenizer_counted?: number;
}

export interface MergeData {
  /** Wall-clock time of the run clock's zero (timeline t_s 0), ms since the epoch: aligns segments. */
  started_at_unix_ms: number;
  /** "i/N" when this report is one segment of a larger run. */
  segment: string | null;
  cycles: number;
  counts: MergeCounts;
  /** Per request type: its counts and encoded HDR histograms. */
  by_type: Record<string, { counts: MergeCounts; histograms: Record<string, string> }>;
  /** Multi-turn runs: the same per turn number (absent otherwise). */
  by_turn?: Record<string, { counts: MergeCounts; histograms: Record<string, string> }>;
  /** Segment runs: one entry per timeline point, that second's encoded ttft / itl / e2e histograms. */
  timeline_histograms?: Array<Record<string, string>>;
  /** The whole run's load model as one process describes it (a segment's config.load_model is its share). */
  run_load_model?: string;
  /** The histograms behind the report's `prompts` block (absent in reports from before it existed). */
  prompts?: PromptsMergeData;
}

/** Prompt length histograms, encoded (HDR; one unit is one character or one token); null when empty. */
export interface PromptsMergeData {
  source: string;
  tokens_counted_by?: string;
  chars: string | null;
  tokens: string | null;
}

/** One finished request, as written to the raw NDJSON / CSV outputs (times in ms). */
export interface RequestRecord {
  id: number;
  type: string;
  client: number;
  cycle: number;
  /** Start relative to the run's start, ms. */
  start_ms: number;
  ok: boolean;
  status: number | null;
  error_class: ErrorClassName | null;
  error: string | null;
  queue_ms: number | null;
  ttfb_ms: number | null;
  ttft_ms: number | null;
  /** Time to the first answer token (content or tool call, after any reasoning); null where the driver does not tell them apart. */
  ttfc_ms: number | null;
  e2e_ms: number | null;
  /** Dispatch to the end, also for requests that never reached a connection. */
  elapsed_ms: number;
  tpot_ms: number | null;
  itl_mean_ms: number | null;
  tokens: number;
  chunks: number;
  tokens_source: "usage" | "tokenizer" | "chunks";
  tokens_expected: number | null;
  tokens_lost: number;
  prompt_tokens: number | null;
  /** Reasoning tokens of the response (server usage, else reasoning chunks); null where the driver does not tell them apart. */
  reasoning_tokens: number | null;
  /** Tool calls the response made; null where the driver does not look for them. */
  tool_call_count: number | null;
  /** Multi-turn runs: the request's turn (1-based) and its conversation's id (the --session-header value). */
  turn?: number;
  conversation?: string;
  /** Driver-measured latencies of this request (voice: ttfa, barge_in...), ms; absent for HTTP requests. */
  measures?: Partial<Record<MeasuredMetricName, number>>;
}

// Seed 002's verdict on a finished voice run (computed in src/report/assessment.ts).
export type CheckName = "p95_latency" | "error_rate" | "latency_vs_users" | "tail_latency";

export interface AssessmentCheck {
  name: CheckName;
  /** good / warning, or not_assessed when the run lacks the data (no successful request, users never varied). */
  status: "good" | "warning" | "not_assessed";
  /** The figure the check looked at (ms, a ratio, or the relative growth); null when not assessed. */
  value: number | null;
  /** The limit it was held against, in the value's unit. */
  limit: number;
  message: string;
}

export interface Assessment {
  /** warning when any check is a warning; good when every assessed check passed. */
  verdict: "good" | "warning";
  /** The latency metric the checks read (seed 002 reads e2e). */
  metric: string;
  checks: AssessmentCheck[];
}

/** What the live view sees once a second. Rates are over the last second. */
export interface LiveSnapshot {
  elapsed_s: number;
  active: number;
  started: number;
  completed: number;
  failed: number;
  tokens: number;
  requests_per_sec: number;
  tokens_per_sec: number;
  ttft_p50: number | null;
  ttft_p95: number | null;
  itl_p50: number | null;
  e2e_p95: number | null;
  /** Planned total requests when known (for a progress percentage). */
  planned: number | null;
  /** Staged model: users running now (absent or null for other load models). */
  active_users?: number | null;
  /** Open model with --queue-when-full: arrivals waiting for a concurrency slot now (absent for other runs). */
  waiting_arrivals?: number;
  errors: Record<string, number>;
}
