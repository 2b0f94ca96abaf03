// Everything /stats and /metrics read, as plain data: an emulator on several worker processes
// (`emulate --workers`) takes one per worker, adds them up in the primary (counters summed,
// histograms merged, never averaged) and renders the sum, so the figures are the whole server's.
import { LatencyHistogram } from "../metrics/histogram.js";
import type { GrpcGatewayStats } from "../protocols/grpc-voice/server.js";
import type { VoiceAgentStats } from "../voice/types.js";
import { EmulatorMetrics, type VoiceMetrics, type VoiceTransport } from "./metrics.js";
import { EmulatorCounters, type EmulatorStats } from "./stats.js";

const HISTOGRAMS = ["ttft", "tpot", "e2e", "queue", "interTokenLatency", "prefill"] as const;
type HistogramName = (typeof HISTOGRAMS)[number];

/** One transport's voice metrics; `ttfa` is an encoded histogram. */
type VoiceMetricsData = Omit<VoiceMetrics, "ttfa" | keyof VoiceMetricsMethods> & { ttfa: string };
type VoiceMetricsMethods = Pick<VoiceMetrics, "sessionOpened" | "sessionClosed" | "responseFinished" | "bargeIn" | "falseAlarm" | "toolCall" | "failureInjected" | "firstAudio" | "reset">;

export interface EmulatorSnapshot {
  counters: Record<string, number>;
  running: number;
  activePeak: number;
  waiting: number;
  kvTokens: number;
  /** Encoded histograms (LatencyHistogram.encode). */
  lateness: string;
  histograms: Record<HistogramName, string>;
  voiceMetrics: Array<[VoiceTransport, VoiceMetricsData]>;
  voice: VoiceAgentStats & { activeSessions: number };
  grpc?: GrpcGatewayStats;
}

/** The decoded figures /stats and /metrics render: one live emulator's, or a fleet's sum. */
export interface EmulatorView {
  counters: EmulatorCounters;
  running: number;
  /** The most generations running at once since the last reset (a fleet without shared admission: the sum of its workers' peaks, an upper bound). */
  activePeak: number;
  waiting: number;
  /** KV-cache tokens held by the running generations. */
  kvTokens: number;
  lateness: LatencyHistogram;
  metrics: EmulatorMetrics;
  voice: VoiceAgentStats & { activeSessions: number };
  grpc: GrpcGatewayStats | undefined;
}

function voiceData(voice: VoiceMetrics): VoiceMetricsData {
  return {
    sessions: voice.sessions,
    activeSessions: voice.activeSessions,
    responses: { ...voice.responses },
    bargeIns: voice.bargeIns,
    falseAlarms: voice.falseAlarms,
    toolCalls: voice.toolCalls,
    failures: { ...voice.failures },
    ttfa: voice.ttfa.encode(),
  };
}

export function takeSnapshot(source: EmulatorView): EmulatorSnapshot {
  const histograms = {} as Record<HistogramName, string>;
  for (const name of HISTOGRAMS) histograms[name] = source.metrics[name].encode();
  return {
    counters: { ...source.counters },
    running: source.running,
    activePeak: source.activePeak,
    waiting: source.waiting,
    kvTokens: source.kvTokens,
    lateness: source.lateness.encode(),
    histograms,
    voiceMetrics: [...source.metrics.voiceByTransport].map(([transport, voice]) => [transport, voiceData(voice)]),
    voice: source.voice,
    ...(source.grpc ? { grpc: source.grpc } : {}),
  };
}

/** a + b, field by field, through nested records of numbers. */
function sumNumbers<T>(a: T, b: T): T {
  if (typeof a === "number" && typeof b === "number") return (a + b) as T;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a ?? b;
  const sum: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [key, value] of Object.entries(b as Record<string, unknown>)) sum[key] = key in sum ? sumNumbers(sum[key], value) : value;
  return sum as T;
}

/** The decoded sum of several snapshots: counters and gauges added, histograms merged. */
export function viewOf(snapshots: readonly EmulatorSnapshot[]): EmulatorView {
  const counters = new EmulatorCounters();
  const metrics = new EmulatorMetrics();
  const lateness = new LatencyHistogram();
  let running = 0;
  let activePeak = 0;
  let waiting = 0;
  let kvTokens = 0;
  let voice: EmulatorView["voice"] | undefined;
  let grpc: GrpcGatewayStats | undefined;
  for (const snapshot of snapshots) {
    Object.assign(counters, sumNumbers({ ...counters } as Record<string, number>, snapshot.counters));
    running += snapshot.running;
    activePeak += snapshot.activePeak;
    waiting += snapshot.waiting;
    kvTokens += snapshot.kvTokens ?? 0;
    lateness.add(LatencyHistogram.decode(snapshot.lateness));
    for (const name of HISTOGRAMS) metrics[name].add(LatencyHistogram.decode(snapshot.histograms[name]));
    for (const [transport, data] of snapshot.voiceMetrics) {
      const target = metrics.voice(transport);
      const { ttfa, ...numbers } = data;
      Object.assign(target, sumNumbers(pickNumbers(target, numbers), numbers));
      target.ttfa.add(LatencyHistogram.decode(ttfa));
    }
    voice = voice ? sumNumbers(voice, snapshot.voice) : snapshot.voice;
    if (snapshot.grpc) grpc = grpc ? sumNumbers(grpc, snapshot.grpc) : snapshot.grpc;
  }
  return { counters, running, activePeak, waiting, kvTokens, lateness, metrics, voice: voice!, grpc };
}

/** The fields of `target` named in `shape`, copied (so summing never aliases the live records). */
function pickNumbers<T extends object>(target: object, shape: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const value = (target as Record<string, unknown>)[key];
    out[key] = value !== null && typeof value === "object" ? { ...value } : value;
  }
  return out as T;
}

/** GET /stats from a view. */
export function statsOf(view: EmulatorView): EmulatorStats {
  const { counters } = view;
  return {
    requests: counters.requests,
    active: view.running,
    activePeak: view.activePeak,
    waiting: view.waiting,
    kvCacheTokens: view.kvTokens,
    completed: counters.completed,
    rejected: counters.rejected,
    errorsInjected: counters.errorsInjected,
    disconnects: counters.disconnects,
    truncations: counters.truncations,
    clientAborts: counters.clientAborts,
    tokensSent: counters.tokensSent,
    reasoningTokensSent: counters.reasoningTokensSent,
    toolCalls: counters.toolCalls,
    streamsHeld: counters.streamsHeld,
    slowClientDrops: counters.slowClientDrops,
    promptTokens: counters.promptTokens,
    prefixCache: { queries: counters.prefixCacheQueries, hits: counters.prefixCacheHits },
    connections: counters.connections,
    http2Sessions: counters.http2Sessions,
    lateness: view.lateness.summary(),
    voice: view.voice,
    ...(view.grpc ? { grpc: view.grpc } : {}),
  };
}
