// One admitted unit of work as the delivery code sees it (the request resolved against options,
// overrides and the failure draw), and the shared machinery every delivery runs on.
import type { Admission } from "./admission.js";
import type { FailureInjector, FailurePlan } from "./failures.js";
import type { FinishReason } from "./generation.js";
import type { EmulatorMetrics } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { Pacing } from "./pacing.js";
import type { EmulatorCounters } from "./stats.js";
import type { PieceSource } from "./text.js";
import type { TimingWheel } from "./timing-wheel.js";

export interface GenerationEnv {
  options: ResolvedOptions;
  wheel: TimingWheel;
  admission: Admission;
  counters: EmulatorCounters;
  /** Latency histograms behind GET /metrics. */
  metrics: EmulatorMetrics;
  pacing: Pacing;
  failures: FailureInjector;
}

export interface Job {
  tokens: number;
  finishReason: FinishReason;
  promptTokens: number;
  ttftMs: number;
  itlMs: number;
  failure: FailurePlan;
  pieces: PieceSource;
  receivedAtMs: number;
}
