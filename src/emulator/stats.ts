// The emulator's own counters: the ground truth a load test's measurements are checked against.
import type { LatencySummary } from "../metrics/histogram.js";
import type { VoiceAgentStats } from "../voice/types.js";
import type { GrpcGatewayStats } from "../protocols/grpc-voice/gateway-stats.js";

export interface EmulatorStats {
  /** Requests that reached a generation endpoint, whatever became of them. */
  requests: number;
  /** Generations holding a running slot now. */
  active: number;
  /** The most generations running at once since start (or the last /stats/reset). */
  activePeak: number;
  /** Requests waiting in the admission queue now. */
  waiting: number;
  /** KV-cache tokens held by the running generations now (--kv-cache-tokens; 0 without it). */
  kvCacheTokens: number;
  /** Generations delivered to their end (including the ones with an injected malformed token). */
  completed: number;
  /** Requests turned away with 429 because the wait queue was full. */
  rejected: number;
  /** Requests answered with an injected error status. */
  errorsInjected: number;
  /** Sockets destroyed mid-stream on purpose. */
  disconnects: number;
  /** Responses ended early on purpose, without their end marker. */
  truncations: number;
  /** Clients that went away before their response ended (includes stalls the client gave up on). */
  clientAborts: number;
  /** Tokens written: content, reasoning and tool-call tokens alike (completion tokens, as vLLM counts them). */
  tokensSent: number;
  /** The reasoning tokens among tokensSent (--reasoning-tokens, x-tokenstorm-reasoning-tokens). */
  reasoningTokensSent: number;
  /** Tool calls made instead of an answer (--tool-call-rate, x-tokenstorm-tool-call). */
  toolCalls: number;
  /** Prompt tokens of the generations admitted (the emulator's words). */
  promptTokens: number;
  /** --prefix-cache-tokens: prompt tokens looked up in the prefix cache, and those found (vLLM's queries and hits). */
  prefixCache: { queries: number; hits: number };
  /** Times a stream began holding tokens back because its client's socket buffer was full. */
  streamsHeld: number;
  /** Connections dropped because their client read nothing for longer than the slow-client limit. */
  slowClientDrops: number;
  /** Connections accepted (TCP, before any TLS handshake), whatever they carried. */
  connections: number;
  /** Of those, the ones that spoke HTTP/2 (`emulate --http2`): each carries many streams. */
  http2Sessions: number;
  /** Timing error of the wheel's firings, |fired − due| in milliseconds (a centred cluster fires some early). */
  lateness: LatencySummary;
  /** The voice agents on /v1/realtime: sessions, responses by final status, barge-ins, false alarms. */
  voice: VoiceAgentStats & { activeSessions: number };
  /** `emulate --workers N`: how many worker processes these figures add up (absent for one process). */
  workers?: number;
  /** The gRPC voice gateway (`--grpc-port`): calls, refused, completed, dropped, client connections. */
  grpc?: GrpcGatewayStats;
}

/** The counters of EmulatorStats; gauges (active, waiting) and lateness live elsewhere. */
export class EmulatorCounters {
  requests = 0;
  completed = 0;
  rejected = 0;
  errorsInjected = 0;
  disconnects = 0;
  truncations = 0;
  clientAborts = 0;
  tokensSent = 0;
  reasoningTokensSent = 0;
  toolCalls = 0;
  streamsHeld = 0;
  slowClientDrops = 0;
  promptTokens = 0;
  prefixCacheQueries = 0;
  prefixCacheHits = 0;
  connections = 0;
  http2Sessions = 0;

  reset(): void {
    this.requests = 0;
    this.completed = 0;
    this.rejected = 0;
    this.errorsInjected = 0;
    this.disconnects = 0;
    this.truncations = 0;
    this.clientAborts = 0;
    this.tokensSent = 0;
    this.reasoningTokensSent = 0;
    this.toolCalls = 0;
    this.streamsHeld = 0;
    this.slowClientDrops = 0;
    this.promptTokens = 0;
    this.prefixCacheQueries = 0;
    this.prefixCacheHits = 0;
    this.connections = 0;
    this.http2Sessions = 0;
  }
}
