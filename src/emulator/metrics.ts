// The emulator's GET /metrics: Prometheus text with vLLM's metric names, so a dashboard built for a
// vLLM server works against the emulator too, plus the voice agents' counters per transport.
// Latencies go into HDR histograms (request latencies once per finished generation; the gap between
// a stream's token writes once per token, a single allocation-free record); buckets are computed
// when scraped.
import type { ServerResponse } from "node:http";
import { LatencyHistogram } from "../metrics/histogram.js";
import { EXPOSITION_CONTENT_TYPE, Exposition } from "../report/prometheus-text.js";
import type { InjectedAgentFailure, VoiceAgentObserver } from "../voice/agent.js";
import type { ResponseStatus } from "../voice/types.js";
import type { GenerationTiming } from "./generation.js";
import type { EmulatorCounters } from "./stats.js";

/** The wires the voice agent is served over, as the `transport` label names them (the protocol names). */
export type VoiceTransport = "realtime" | "grpc-voice";

/** Voice failures injected by the emulator: the agent's, and the transports' refusals before any agent. */
export type InjectedVoiceFailure = InjectedAgentFailure | "refused" | "malformed";

const RESPONSE_STATUSES: readonly ResponseStatus[] = ["completed", "cancelled", "failed"];
const INJECTED_VOICE_FAILURES: readonly InjectedVoiceFailure[] = ["error", "drop", "stall", "slow_start", "refused", "malformed"];

/** One transport's voice agents as /metrics shows them; every agent of that transport reports here. */
export class VoiceMetrics implements VoiceAgentObserver {
  sessions = 0;
  /** A gauge: kept by reset(). */
  activeSessions = 0;
  readonly responses: Record<ResponseStatus, number> = { completed: 0, cancelled: 0, failed: 0 };
  bargeIns = 0;
  falseAlarms = 0;
  toolCalls = 0;
  readonly failures: Record<InjectedVoiceFailure, number> = { error: 0, drop: 0, stall: 0, slow_start: 0, refused: 0, malformed: 0 };
  /** Start of the agent's work on a response to its first audio chunk, as the agent sent it. */
  readonly ttfa = new LatencyHistogram();

  sessionOpened(): void {
    this.sessions++;
    this.activeSessions++;
  }

  sessionClosed(): void {
    this.activeSessions--;
  }

  responseFinished(status: ResponseStatus): void {
    this.responses[status]++;
  }

  bargeIn(): void {
    this.bargeIns++;
  }

  falseAlarm(): void {
    this.falseAlarms++;
  }

  toolCall(): void {
    this.toolCalls++;
  }

  failureInjected(kind: InjectedVoiceFailure): void {
    this.failures[kind]++;
  }

  firstAudio(ttfaMs: number): void {
    this.ttfa.recordMs(ttfaMs);
  }

  reset(): void {
    this.sessions = 0;
    for (const status of RESPONSE_STATUSES) this.responses[status] = 0;
    this.bargeIns = 0;
    this.falseAlarms = 0;
    this.toolCalls = 0;
    for (const kind of INJECTED_VOICE_FAILURES) this.failures[kind] = 0;
    this.ttfa.reset();
  }
}

export class EmulatorMetrics {
  /** Arrival to first token, queueing included (vLLM's time to first token). */
  readonly ttft = new LatencyHistogram();
  /** Per request: (last token - first token) / (tokens - 1). */
  readonly tpot = new LatencyHistogram();
  /** Arrival to the last byte. */
  readonly e2e = new LatencyHistogram();
  /** Arrival to a running slot (the admission queue). */
  readonly queue = new LatencyHistogram();
  /** Per request: the prefill time of its uncached prompt tokens (--prefill-ms-per-1k). */
  readonly prefill = new LatencyHistogram();
  /** Per token after a stream's first: the gap between its consecutive token writes (wheel firings). */
  readonly interTokenLatency = new LatencyHistogram();
  /** The voice transports this emulator serves, in the order they were attached. */
  readonly voiceByTransport = new Map<VoiceTransport, VoiceMetrics>();

  /** The metrics of one voice transport; from the first call on, /metrics shows its series. */
  voice(transport: VoiceTransport): VoiceMetrics {
    let metrics = this.voiceByTransport.get(transport);
    if (!metrics) {
      metrics = new VoiceMetrics();
      this.voiceByTransport.set(transport, metrics);
    }
    return metrics;
  }

  /** A generation delivered to its end. */
  recordCompleted(timing: GenerationTiming, tokens: number): void {
    this.ttft.recordMs(timing.firstTokenAtMs - timing.receivedAtMs);
    this.e2e.recordMs(timing.endedAtMs - timing.receivedAtMs);
    this.queue.recordMs(timing.admittedAtMs - timing.receivedAtMs);
    if (tokens > 1) this.tpot.recordMs((timing.endedAtMs - timing.firstTokenAtMs) / (tokens - 1));
  }

  reset(): void {
    for (const histogram of [this.ttft, this.tpot, this.e2e, this.queue, this.interTokenLatency, this.prefill]) histogram.reset();
    for (const voice of this.voiceByTransport.values()) voice.reset();
  }
}

/**
 * Every voice transport's families, one series per transport (and status, and failure kind). A
 * family's samples stay together, as the text format wants: the transports loop inside each family.
 */
function addVoiceMetrics(exposition: Exposition, voiceByTransport: ReadonlyMap<VoiceTransport, VoiceMetrics>): void {
  const transports = [...voiceByTransport];
  const each = (add: (voice: VoiceMetrics, labels: { transport: VoiceTransport }) => void): void => {
    for (const [transport, voice] of transports) add(voice, { transport });
  };
  each((voice, labels) => exposition.counter("tokenstorm_emulator_voice_sessions_total", "Voice sessions opened (a realtime connection, a grpc-voice call)", voice.sessions, labels));
  each((voice, labels) => exposition.gauge("tokenstorm_emulator_voice_sessions_active", "Voice sessions open now", voice.activeSessions, labels));
  each((voice, labels) => {
    for (const status of RESPONSE_STATUSES) exposition.counter("tokenstorm_emulator_voice_responses_total", "Agent responses by final status", voice.responses[status], { ...labels, status });
  });
  each((voice, labels) => exposition.counter("tokenstorm_emulator_voice_barge_ins_total", "Responses cancelled by the user's speech or the client's cancel", voice.bargeIns, labels));
  each((voice, labels) => exposition.counter("tokenstorm_emulator_voice_false_alarms_total", "Speech too short to interrupt: the response resumed", voice.falseAlarms, labels));
  each((voice, labels) => exposition.counter("tokenstorm_emulator_voice_tool_calls_total", "Function calls the agent made", voice.toolCalls, labels));
  each((voice, labels) => {
    for (const kind of INJECTED_VOICE_FAILURES) exposition.counter("tokenstorm_emulator_voice_failures_injected_total", "Injected voice failures by kind", voice.failures[kind], { ...labels, kind });
  });
  each((voice, labels) => exposition.histogram("tokenstorm_emulator_voice_ttfa_seconds", "End of the user's turn (or the tool output) to the agent's first audio", voice.ttfa, labels));
}

/** What GET /metrics reads: one emulator's figures, or a fleet's sum (src/emulator/snapshot.ts). */
export interface MetricsView {
  counters: EmulatorCounters;
  running: number;
  waiting: number;
  kvTokens: number;
  metrics: EmulatorMetrics;
}

export function renderEmulatorMetrics(view: MetricsView, modelName: string, kvCacheTokens = 0): string {
  const { counters, metrics } = view;
  const model = { model_name: modelName };
  const exposition = new Exposition()
    .gauge("vllm:num_requests_running", "Requests generating now (holding a running slot)", view.running, model)
    .gauge("vllm:num_requests_waiting", "Requests waiting for a running slot", view.waiting, model)
    .gauge("vllm:kv_cache_usage_perc", "Fraction of the KV cache held by running requests (0 to 1; 0 without --kv-cache-tokens)", kvCacheTokens > 0 ? view.kvTokens / kvCacheTokens : 0, model)
    .counter("vllm:request_success_total", "Generations delivered to their end", counters.completed, model)
    .counter("vllm:prompt_tokens_total", "Prompt tokens of the generations admitted", counters.promptTokens, model)
    .counter("vllm:generation_tokens_total", "Tokens sent: content, reasoning and tool-call tokens", counters.tokensSent, model)
    .counter("vllm:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache", counters.prefixCacheQueries, model)
    .counter("vllm:prefix_cache_hits_total", "Prompt tokens found in the prefix cache", counters.prefixCacheHits, model)
    .histogram("vllm:time_to_first_token_seconds", "Arrival to the first token, queueing included", metrics.ttft, model)
    .histogram("vllm:time_per_output_token_seconds", "Per request: mean gap between its tokens", metrics.tpot, model)
    .histogram("vllm:inter_token_latency_seconds", "Per token: gap between consecutive token writes of a stream", metrics.interTokenLatency, model)
    .histogram("vllm:e2e_request_latency_seconds", "Arrival to the end of the response", metrics.e2e, model)
    .histogram("vllm:request_queue_time_seconds", "Arrival to a running slot", metrics.queue, model)
    .histogram("vllm:request_prefill_time_seconds", "Per request: prefill time of its uncached prompt tokens", metrics.prefill, model)
    .counter("tokenstorm_emulator_requests_total", "Requests that reached a generation endpoint", counters.requests)
    .counter("tokenstorm_emulator_rejected_total", "Requests turned away with 429 (wait queue full)", counters.rejected)
    .counter("tokenstorm_emulator_errors_injected_total", "Requests answered with an injected error status", counters.errorsInjected)
    .counter("tokenstorm_emulator_disconnects_total", "Streams cut on purpose", counters.disconnects)
    .counter("tokenstorm_emulator_truncations_total", "Responses ended early on purpose", counters.truncations)
    .counter("tokenstorm_emulator_client_aborts_total", "Clients gone before their response ended", counters.clientAborts)
    .counter("tokenstorm_emulator_reasoning_tokens_total", "Reasoning tokens sent (part of vllm:generation_tokens_total)", counters.reasoningTokensSent)
    .counter("tokenstorm_emulator_tool_calls_total", "Tool calls made instead of an answer", counters.toolCalls)
    .counter("tokenstorm_emulator_streams_held_total", "Streams that held tokens back while their client's socket buffer was full", counters.streamsHeld)
    .counter("tokenstorm_emulator_slow_client_drops_total", "Connections dropped after their client read nothing past the slow-client limit", counters.slowClientDrops)
    .counter("tokenstorm_emulator_connections_total", "Connections accepted (TCP), whatever protocol they carried", counters.connections)
    .counter("tokenstorm_emulator_http2_sessions_total", "Connections that spoke HTTP/2 (emulate --http2)", counters.http2Sessions);
  addVoiceMetrics(exposition, metrics.voiceByTransport);
  return exposition.toString();
}

export function sendMetricsText(res: ServerResponse, body: string): void {
  res.writeHead(200, { "Content-Type": EXPOSITION_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
