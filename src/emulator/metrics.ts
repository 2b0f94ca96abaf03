// The emulator's GET /metrics: Prometheus text with vLLM's metric names, so a dashboard built for a
// vLLM server works against the emulator too. Latencies are recorded once per finished generation
// (never per token) into HDR histograms; buckets are computed when scraped.
import type { ServerResponse } from "node:http";
import { LatencyHistogram } from "../metrics/histogram.js";
import { EXPOSITION_CONTENT_TYPE, Exposition } from "../report/prometheus-text.js";
import type { GenerationTiming } from "./generation.js";
import type { GenerationEnv } from "./job.js";

export class EmulatorMetrics {
  /** Arrival to first token, queueing included (vLLM's time to first token). */
  readonly ttft = new LatencyHistogram();
  /** Per request: (last token - first token) / (tokens - 1). */
  readonly tpot = new LatencyHistogram();
  /** Arrival to the last byte. */
  readonly e2e = new LatencyHistogram();
  /** Arrival to a running slot (the admission queue). */
  readonly queue = new LatencyHistogram();

  /** A generation delivered to its end. */
  recordCompleted(timing: GenerationTiming, tokens: number): void {
    this.ttft.recordMs(timing.firstTokenAtMs - timing.receivedAtMs);
    this.e2e.recordMs(timing.endedAtMs - timing.receivedAtMs);
    this.queue.recordMs(timing.admittedAtMs - timing.receivedAtMs);
    if (tokens > 1) this.tpot.recordMs((timing.endedAtMs - timing.firstTokenAtMs) / (tokens - 1));
  }

  reset(): void {
    for (const histogram of [this.ttft, this.tpot, this.e2e, this.queue]) histogram.reset();
  }
}

export function renderEmulatorMetrics(env: GenerationEnv): string {
  const { counters, admission, metrics } = env;
  const model = { model_name: env.options.model };
  return new Exposition()
    .gauge("vllm:num_requests_running", "Requests generating now (holding a running slot)", admission.running, model)
    .gauge("vllm:num_requests_waiting", "Requests waiting for a running slot", admission.waiting, model)
    .counter("vllm:request_success_total", "Generations delivered to their end", counters.completed, model)
    .counter("vllm:generation_tokens_total", "Content tokens sent", counters.tokensSent, model)
    .histogram("vllm:time_to_first_token_seconds", "Arrival to the first token, queueing included", metrics.ttft, model)
    .histogram("vllm:time_per_output_token_seconds", "Per request: mean gap between its tokens", metrics.tpot, model)
    .histogram("vllm:e2e_request_latency_seconds", "Arrival to the end of the response", metrics.e2e, model)
    .histogram("vllm:request_queue_time_seconds", "Arrival to a running slot", metrics.queue, model)
    .counter("tokenstorm_emulator_requests_total", "Requests that reached a generation endpoint", counters.requests)
    .counter("tokenstorm_emulator_rejected_total", "Requests turned away with 429 (wait queue full)", counters.rejected)
    .counter("tokenstorm_emulator_errors_injected_total", "Requests answered with an injected error status", counters.errorsInjected)
    .counter("tokenstorm_emulator_disconnects_total", "Streams cut on purpose", counters.disconnects)
    .counter("tokenstorm_emulator_truncations_total", "Responses ended early on purpose", counters.truncations)
    .counter("tokenstorm_emulator_client_aborts_total", "Clients gone before their response ended", counters.clientAborts)
    .toString();
}

export function sendEmulatorMetrics(res: ServerResponse, env: GenerationEnv): void {
  const body = renderEmulatorMetrics(env);
  res.writeHead(200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
