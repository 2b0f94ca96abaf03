// Histograms and counters for one slice of a run (the whole run, or one request type).
import { LatencyHistogram } from "./histogram.js";
import { LATENCY_METRIC_NAMES, type LatencyMetricName, type OutcomeMetricName } from "./registry.js";

export class MetricSet {
  readonly latency: Record<LatencyMetricName, LatencyHistogram>;
  requests = 0;
  successful = 0;
  failed = 0;
  cancelled = 0;
  /** Open-model arrivals dropped at the concurrency cap (or still queued at the stop): never sent, so outside `requests`. */
  dropped = 0;
  tokens = 0;
  tokensLost = 0;
  /** Reasoning tokens and tool calls of the responses, where the driver tells them apart (openai-chat). */
  reasoningTokens = 0;
  toolCalls = 0;
  /** Successful requests that met every goodput SLO. */
  good = 0;
  usageCounted = 0;
  /** Requests whose output tokens the --tokenizer counted in the received text (no usage figure). */
  tokenizerCounted = 0;
  chunkCounted = 0;
  /** Driver-judged outcomes (trace.outcome) by name: attempts and how many succeeded. */
  readonly outcomes = new Map<OutcomeMetricName, { attempts: number; succeeded: number }>();

  constructor() {
    const latency = {} as Record<LatencyMetricName, LatencyHistogram>;
    for (const name of LATENCY_METRIC_NAMES) latency[name] = new LatencyHistogram();
    this.latency = latency;
  }

  recordOutcome(name: OutcomeMetricName, succeeded: boolean): void {
    this.addOutcome(name, 1, succeeded ? 1 : 0);
  }

  /** Add counts of another run's outcome (merging segments). */
  addOutcome(name: OutcomeMetricName, attempts: number, succeeded: number): void {
    let counts = this.outcomes.get(name);
    if (!counts) {
      counts = { attempts: 0, succeeded: 0 };
      this.outcomes.set(name, counts);
    }
    counts.attempts += attempts;
    counts.succeeded += succeeded;
  }
}
