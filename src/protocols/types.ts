// The one interface every protocol driver implements, and what the runner hands it.
import type { RunConfig } from "../config/run-config.js";
import type { RequestTrace } from "../metrics/trace.js";

/** One message of a conversation (datasets in the OpenAI messages style). */
export interface ChatMessage {
  role: string;
  content: string;
}

/** One request the workload asks for. */
export interface RequestSpec {
  /** Request type for the by_type breakdown (prompt set, scenario step...). */
  type: string;
  prompt: string;
  /** The whole conversation for chat protocols; absent: one user message holding `prompt`. */
  messages?: ChatMessage[] | null;
  /** Output tokens asked for; null leaves it to the server. */
  maxTokens: number | null;
}

/** Everything a driver needs to know about the target, fixed for the whole run. */
export interface DriverOptions {
  target: URL;
  /** A second endpoint for protocols that stream over another connection (session: the WebSocket gateway). */
  wsTarget?: URL;
  model: string;
  /** Extra request headers (--header, auth). */
  headers: Record<string, string>;
  /** Whole-request limit, ms. */
  timeoutMs: number;
  /** No byte for this long ends the request as timeout_idle, ms. */
  idleTimeoutMs: number;
  /** TCP connect limit, ms. */
  connectTimeoutMs: number;
  /** Upper bound on open connections to the target. */
  maxConnections: number;
  /** Ask for a usage figure at the end of the stream where the protocol allows it. */
  includeUsage: boolean;
  /** The server sends exactly one token per chunk, so usage - chunks is token loss. */
  exactTokens: boolean;
  /** Called once per new TCP connection with its setup time, or null when it failed. */
  onConnect(ms: number | null): void;
}

export interface ProtocolDriver {
  /**
   * Run one request to completion, recording into `trace`. Never throws for request failures:
   * they are classified on the trace. Resolves when the request has ended one way or another.
   */
  execute(spec: RequestSpec, trace: RequestTrace): Promise<void>;
  /** Abort every request in flight (marked `cancelled`). */
  cancelAll(): void;
  close(): Promise<void>;
}

/** A server `run` starts for itself when no --target is given. */
export interface EmbeddedTarget {
  url: string;
  /** One line for the console: what was started and with which timing. */
  description: string;
  close(): Promise<void>;
}

export interface ProtocolDefinition {
  readonly name: string;
  readonly description: string;
  /** `config` is the run's whole configuration when `run` creates the driver (absent in the conformance suite). */
  create(options: DriverOptions, config?: RunConfig): ProtocolDriver;
  /**
   * Conversation protocols (voice) decide what each request is: its type is the scenario. When
   * present, `run` takes requests from here instead of the prompt sets.
   */
  requests?(config: RunConfig): (client: number, cycle: number) => RequestSpec;
  /**
   * Start the embedded server `run` uses when no --target is given. Protocols without one use the
   * HTTP emulator on a worker thread (src/engine/embedded.ts).
   */
  startEmbedded?(config: RunConfig): Promise<EmbeddedTarget>;
  /**
   * One-time warm-up inside this process before the run (JIT, parsers). Protocols without one get
   * the HTTP stream warm-up (src/protocols/http/warm-up.ts).
   */
  warmUp?(): Promise<void>;
}
