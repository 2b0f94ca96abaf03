// The emulator's own counters: the ground truth a load test's measurements are checked against.
import type { LatencySummary } from "../metrics/histogram.js";
import type { VoiceAgentStats } from "../voice/types.js";
import type { GrpcGatewayStats } from "../protocols/grpc-voice/server.js";

export interface EmulatorStats {
  /** Requests that reached a generation endpoint, whatever became of them. */
  requests: number;
  /** Generations holding a running slot now. */
  active: number;
  /** Requests waiting in the admission queue now. */
  waiting: number;
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
  /** Content tokens written. */
  tokensSent: number;
  /** Timing error of the wheel's firings, |fired − due| in milliseconds (a centred cluster fires some early). */
  lateness: LatencySummary;
  /** The voice agents on /v1/realtime: sessions, responses by final status, barge-ins, false alarms. */
  voice: VoiceAgentStats & { activeSessions: number };
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

  reset(): void {
    this.requests = 0;
    this.completed = 0;
    this.rejected = 0;
    this.errorsInjected = 0;
    this.disconnects = 0;
    this.truncations = 0;
    this.clientAborts = 0;
    this.tokensSent = 0;
  }
}
