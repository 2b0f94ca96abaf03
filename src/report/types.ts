// The report's shape (PRODUCT.md contract): what --out writes and every output reads.
import type { LatencySummary } from "../metrics/histogram.js";
import type { ErrorClassName } from "../errors.js";
import type { Assessment } from "./assessment.js";
import type { MeasuredMetricName, OutcomeMetricName } from "../metrics/registry.js";

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
  tokens_source: "usage" | "chunks" | "mixed" | "none";
  /** The run was stopped early (Ctrl-C, SIGTERM, crash): the figures cover what had finished. */
  interrupted: boolean;
  /**
   * Requests cut off by the run's own stop (interruption, or the end of the graceful stop): not the
   * target's failures, so they are outside requests / failed / errors; their tokens still count.
   */
  cancelled: number;
  /** Open-model arrivals never sent: --max-concurrent requests were in flight, or still queued for a slot at the stop. */
  dropped: number;
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
  /** From the server's usage figures; null when none arrived. */
  tokens: PromptLengthStats | null;
}

export interface Report {
  tokenstorm: { version: string; started_at: string; finished_at: string };
  config: Record<string, unknown>;
  summary: RunSummary;
  latency: LatencyBlock;
  by_type: Record<string, TypeBreakdown>;
  errors: Partial<Record<ErrorClassName, number>>;
  thresholds: ThresholdResult[];
  timeline: TimelinePoint[];
  /** Open models: how the arrival schedule was carried out. */
  arrivals?: ArrivalsBlock;
  /** Prompt length statistics (absent in reports from before it existed). */
  prompts?: PromptsBlock;
  connections: { opened: number; failed: number };
  /** Encoded HDR histograms per latency metric, so reports can be merged without losing accuracy. */
  histograms: Record<string, string>;
  /** Exact counts and histograms `tokenstorm merge` needs beyond the figures above (docs/distributed.md). */
  merge?: MergeData;
  /** A merged run: its segments, and any that never reported (a worker died). */
  segments?: { count: number; merged: string[]; missing: string[] };
  /** Voice runs: good / warning by seed 002's "Interpreting results" (src/report/assessment.ts). */
  assessment?: Assessment;
}

/** Counts of one slice of a run that its rates and sources alone would lose. */
export interface MergeCounts {
  good: number;
  usage_counted: number;
  chunk_counted: number;
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
  e2e_ms: number | null;
  /** Dispatch to the end, also for requests that never reached a connection. */
  elapsed_ms: number;
  tpot_ms: number | null;
  itl_mean_ms: number | null;
  tokens: number;
  chunks: number;
  tokens_source: "usage" | "chunks";
  tokens_expected: number | null;
  tokens_lost: number;
  prompt_tokens: number | null;
  /** Driver-measured latencies of this request (voice: ttfa, barge_in...), ms; absent for HTTP requests. */
  measures?: Partial<Record<MeasuredMetricName, number>>;
}
