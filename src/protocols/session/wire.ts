// Wire types of the `session` protocol (seed 000): the Centrifugo client protocol v2 in its JSON form
// as the centrifuge-js v5 SDK speaks it (one JSON command or reply per line, a WebSocket frame may
// carry several; an empty object is a server ping or the client's pong), the token payloads the API
// node publishes into `session:{uuid}`, and the HTTP shapes of /api/run and /api/publish.

/** Where gateways accept WebSocket clients, as on Centrifugo. */
export const WEBSOCKET_PATH = "/connection/websocket";
/** The API node's generation endpoint. */
export const RUN_PATH = "/api/run";
/** Centrifugo's server HTTP API for publishing (our gateway accepts it too). */
export const PUBLISH_PATH = "/api/publish";
/** Header carrying the server API key, as Centrifugo expects it. */
export const API_KEY_HEADER = "x-api-key";

export function sessionChannel(session: string): string {
  return `session:${session}`;
}

/** A client command; exactly one method field is set, or none for a pong. */
export interface ClientCommand {
  id?: number;
  connect?: { token?: string; data?: unknown; name?: string; version?: string };
  subscribe?: { channel: string };
  unsubscribe?: { channel: string };
  [method: string]: unknown;
}

export interface ReplyError {
  code: number;
  message: string;
  temporary?: boolean;
}

export interface ConnectResult {
  client: string;
  version: string;
  /** Seconds between server pings. */
  ping: number;
  /** The client answers each ping with an empty command. */
  pong: boolean;
}

export interface Publication {
  data: unknown;
  offset?: number;
}

export interface Push {
  channel?: string;
  pub?: Publication;
  disconnect?: { code: number; reason: string };
}

export interface ServerReply {
  id?: number;
  error?: ReplyError;
  connect?: ConnectResult;
  subscribe?: Record<string, never>;
  unsubscribe?: Record<string, never>;
  push?: Push;
}

/** Centrifugo's reply error codes that this gateway uses. */
export const ReplyErrorCode = {
  internal: 100,
  unknownChannel: 102,
  permissionDenied: 103,
  methodNotFound: 104,
  alreadySubscribed: 105,
  limitExceeded: 106,
  badRequest: 107,
  tokenExpired: 109,
} as const;

/** WebSocket close codes from Centrifugo's disconnect set. */
export const DisconnectCode = {
  /** Server shutting down: clients reconnect. */
  shutdown: 3001,
  /** Broken command or a command before connect: no reconnect. */
  badRequest: 3501,
  /** The connection token is missing, forged or unreadable: no reconnect. */
  invalidToken: 3500,
  /** The client stopped answering pings. */
  noPong: 3012,
  /** Failure injection: the gateway drops a session's subscribers mid-stream. */
  forced: 3000,
} as const;

/** One generated token, published as the `data` of a publication. */
export interface TokenPayload {
  /** Index from 0: the client checks order, gaps and duplicates by it. */
  i: number;
  /** The token's text. */
  t: string;
  /** When the API node published it: Unix epoch milliseconds with a fraction (see epochMs). */
  ts?: number;
}

/**
 * A monotonic timestamp (nowMs) as Unix epoch milliseconds with sub-millisecond precision: the
 * process's high-resolution time origin plus the monotonic reading. Processes on one machine agree
 * on it closely; across machines only as well as their clocks are synchronised.
 */
export function epochMs(monotonicMs: number): number {
  return performance.timeOrigin + monotonicMs;
}

/** The last publication of a run: how many tokens were published. */
export interface DonePayload {
  done: true;
  tokens: number;
}

/** POST /api/run body: seed 000's {session, length, delay}; ttft is our addition. */
export interface RunRequest {
  session: string;
  /** Tokens (words) to generate. */
  length?: number;
  /** Seconds between tokens. */
  delay?: number;
  /** Seconds before the first token (defaults to delay). */
  ttft?: number;
}

export interface RunResponse {
  session: string;
  channel: string;
  tokens: number;
}

/** POST /api/publish body, as Centrifugo's server API takes it. */
export interface PublishRequest {
  channel: string;
  data: unknown;
}
