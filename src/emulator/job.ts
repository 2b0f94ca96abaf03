// One admitted unit of work as the delivery code sees it (the request resolved against options,
// overrides and the failure draw), and the shared machinery every delivery runs on.
import type { AdmissionControl } from "./admission.js";
import type { FailureInjector, FailurePlan } from "./failures.js";
import type { FinishReason, GenerationResult, GenerationTiming, ToolCall } from "./generation.js";
import type { EmulatorMetrics } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { Pacing } from "./pacing.js";
import type { PrefixCache } from "./prefix-cache.js";
import type { EmulatorCounters } from "./stats.js";
import type { PieceSource } from "./text.js";
import type { TimingWheel } from "./timing-wheel.js";
import type { Tokenizer } from "../workload/tokenizer.js";

export interface GenerationEnv {
  options: ResolvedOptions;
  wheel: TimingWheel;
  admission: AdmissionControl;
  counters: EmulatorCounters;
  /** Latency histograms behind GET /metrics. */
  metrics: EmulatorMetrics;
  pacing: Pacing;
  failures: FailureInjector;
  /** --prefix-cache-tokens: this process's prefix cache; undefined when there is none. */
  prefixCache: PrefixCache | undefined;
  /** Uniform [0, 1) draws deciding which requests offering tools get a tool call (--tool-call-rate). */
  toolCallDraw: () => number;
  /** --tokenizer: counts prompt tokens; undefined counts words. */
  tokenizer: Tokenizer | undefined;
}

export interface Job {
  /** Every token the generation streams: its reasoning tokens first, then its answer's. */
  tokens: number;
  /** Leading tokens that are reasoning (their text comes from `pieces`, as the answer's does). */
  reasoningTokens: number;
  /** The call made instead of an answer; the answer's tokens are then its opening and argument pieces. */
  toolCall: ToolCall | undefined;
  finishReason: FinishReason;
  promptTokens: number;
  /** Leading prompt tokens found in the prefix cache when the request was admitted. */
  cachedTokens: number;
  /** Admission to the first token: the base time to first token plus the prefill of uncached tokens. */
  ttftMs: number;
  itlMs: number;
  failure: FailurePlan;
  pieces: PieceSource;
  receivedAtMs: number;
}

/** What the renderers' end frames and whole bodies report of a job that ran. */
export function resultOf(env: GenerationEnv, job: Job, timing: GenerationTiming): GenerationResult {
  return {
    promptTokens: job.promptTokens,
    ...(env.prefixCache ? { cachedTokens: job.cachedTokens } : {}),
    completionTokens: job.tokens,
    reasoningTokens: job.reasoningTokens,
    finishReason: job.finishReason,
    timing,
  };
}
