// The one interface every protocol driver implements, and what the runner hands it.
import type { RunConfig } from "../config/run-types.js";
import type { RequestTrace } from "../metrics/trace.js";
import type { ClientTls } from "./tls.js";
import type { ChatMessage, MessageToolCall, ToolDefinition, UserTurn } from "../workload/dataset.js";

export type { ChatMessage, MessageToolCall, ToolDefinition, UserTurn };

/** One request the workload asks for. */
export interface RequestSpec {
  /** Request type for the by_type breakdown (prompt set, scenario step...). */
  type: string;
  prompt: string;
  /** The whole conversation for chat protocols; absent: one user message holding `prompt`. */
  messages?: ChatMessage[] | null;
  /** Output tokens asked for; null leaves it to the server. */
  maxTokens: number | null;
  /** --ignore-eos: ask for exactly maxTokens (OpenAI-style bodies: min_tokens and ignore_eos, as vLLM and TGI honour). */
  ignoreEos?: boolean;
  /** Function tools the request offers (a dataset line's `tools`), in OpenAI's chat shape; chat-style drivers send them. */
  tools?: readonly ToolDefinition[];
  /** Headers of this request alone, after the run's (a conversation's --session-header); HTTP streaming drivers send them. */
  headers?: Record<string, string>;
  /**
   * The later user turns a dataset conversation holds (ShareGPT), in order, for --turns: turn k + 1
   * sends followUps[k - 1], and the conversation ends when they run out. Absent: later turns draw prompts.
   */
  followUps?: readonly UserTurn[];
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
  /** WebSocket opening handshake limit, ms (from the dial to the upgrade's answer); default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number;
  /** Upper bound on open connections to the target (per origin). */
  maxConnections: number;
  /** CA, client certificate and verification for https:// and wss:// targets (src/protocols/tls.ts); absent: Node's defaults. */
  tls?: ClientTls;
  /** HTTP streaming protocols: HTTP/2, streams multiplexed on the `maxConnections` connections. */
  http2?: boolean;
  /** Ask for a usage figure at the end of the stream where the protocol allows it. */
  includeUsage: boolean;
  /** The server sends exactly one token per chunk, so usage - chunks is token loss. */
  exactTokens: boolean;
  /** The longest line (NDJSON) or event (SSE) a response may send, bytes; longer fails as `malformed`. Default 8 MiB. */
  maxLineBytes?: number;
  /** Called for each request sent again because its kept-alive connection turned out closed (HTTP streaming). */
  onRetry?(): void;
  /**
   * Called once per new connection with its TCP setup time, or null when it failed; `tlsMs`: the TLS
   * handshake after it, where the driver tells the two apart (HTTP streaming).
   */
  onConnect(ms: number | null, tlsMs?: number): void;
  /** Drivers with one connection per virtual client (voice) also say whose it was (`--verbose`). */
  onClientConnected?(client: number, ms: number): void;
}

/** A WebSocket upgrade left unanswered this long fails as `timeout_handshake` (`run --handshake-timeout`). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

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

export interface ProtocolDefinition<Settings = unknown> {
  readonly name: string;
  readonly description: string;
  /** The protocol's own settings, taken from the run's (absent: it has none beyond DriverOptions). */
  settingsOf?(config: RunConfig): Settings;
  /** `settings` are this protocol's own (settingsOf) when `run` creates the driver; absent: its defaults. */
  create(options: DriverOptions, settings?: Settings): ProtocolDriver;
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
