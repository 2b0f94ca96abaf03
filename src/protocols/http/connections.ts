// The HTTP streaming driver's connections to its one origin: undici Clients opened through a
// connector that carries the run's TLS settings and HTTP/2, measures each connection's TCP set-up
// and TLS handshake apart, and notes what each socket said (a reset, a TLS error) before undici
// hears of it. HTTP/1.1 carries one request per connection (ConnectionPool); HTTP/2 multiplexes
// streams on a few (MultiplexedPool).
import { Client, buildConnector } from "./undici-client.js";
import type { Socket } from "node:net";
import { nowMs } from "../../clock.js";
import { tlsErrorClass } from "../../errors.js";
import { tlsConnectOptions, type ClientTls } from "../tls.js";
import type { DriverOptions } from "../types.js";

/** What the driver knows of one connection's current socket. */
export interface SocketState {
  /** Requests written on the socket so far. */
  written: number;
  /** The peer reset the socket (ECONNRESET). */
  reset: boolean;
  /**
   * The socket's TLS error, when it had one. A server that refuses the client's certificate does so
   * after a TLS 1.3 handshake has completed on the client's side: undici then reports only "other
   * side closed", while the socket had said why.
   */
  tlsError: Error | null;
}

/** The code of an error, or of its cause (undici wraps socket errors). */
export function errorCode(error: Error): string {
  const own = (error as { code?: string }).code;
  return own ?? (error as { cause?: { code?: string } }).cause?.code ?? "";
}

/** How the driver gets a connection for a request and gives it back. */
export interface Connections {
  /** Hand a connection to `use` now, or when one frees up; the returned function withdraws a wait. */
  acquire(use: (client: Client) => void): () => void;
  /** The request on `client` has ended. */
  release(client: Client): void;
  socketOf(client: Client): SocketState;
  close(): Promise<void>;
}

/** A connector that notes, per new socket, the fresh SocketState and a reset before undici hears of it. */
function trackingConnector(connect: buildConnector.connector, socket: SocketState): buildConnector.connector {
  return (options, callback) =>
    connect(options, (...args: buildConnector.CallbackArgs) => {
      const [error, opened] = args;
      if (error === null) {
        socket.written = 0;
        socket.reset = false;
        socket.tlsError = null;
        opened.on("error", (err: Error) => {
          const code = errorCode(err);
          if (code === "ECONNRESET") socket.reset = true;
          else if (tlsErrorClass(code) !== null) socket.tlsError = err;
        });
      }
      callback(...args);
    });
}

/**
 * The driver's connections to its one origin: an undici Client each, carrying one request at a time,
 * at most `max` of them. undici's own Pool hands a connection back only an event-loop turn after its
 * response ended (undici waits that turn before writing on a reused socket), so a closed-model client
 * whose next request follows at once found its connection still taken and opened another one: 10
 * clients reached 16-20 connections. Here a connection is free the moment its response has ended; a
 * request given to it then waits inside the Client for that same turn and goes out on the kept-alive
 * socket. A Client whose socket closed (server keep-alive timeout, an aborted request) connects again.
 */
export class ConnectionPool implements Connections {
  /** Free connections, the most recently used last: it is the least likely to have been timed out. */
  private readonly idle: Client[] = [];
  private readonly all: Client[] = [];
  /** What is known of each connection's current socket. */
  private readonly sockets = new Map<Client, SocketState>();
  /** Requests waiting for a connection, in arrival order. */
  private readonly waiting = new Set<(client: Client) => void>();

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly clientOptions: Client.Options,
    private readonly connect: buildConnector.connector = buildConnector({}),
  ) {}

  /** Hand a free connection to `use` now, or when one frees up; the returned function withdraws a wait. */
  acquire(use: (client: Client) => void): () => void {
    const client = this.idle.pop() ?? this.open();
    if (client) {
      use(client);
      return () => undefined;
    }
    this.waiting.add(use);
    return () => this.waiting.delete(use);
  }

  /** The connection's request has ended: the oldest waiting request takes it, else it idles. */
  release(client: Client): void {
    for (const next of this.waiting) {
      this.waiting.delete(next);
      // Not from inside the callback that ended the last request, which may be undici's parser.
      queueMicrotask(() => next(client));
      return;
    }
    this.idle.push(client);
  }

  /** Requests written on the connection's current socket, and whether the peer reset it. */
  socketOf(client: Client): SocketState {
    return this.sockets.get(client)!;
  }

  async close(): Promise<void> {
    this.waiting.clear();
    this.idle.length = 0;
    await Promise.all(this.all.map((client) => client.destroy().catch(() => undefined)));
  }

  private open(): Client | undefined {
    if (this.all.length >= this.max) return undefined;
    const socket: SocketState = { written: 0, reset: false, tlsError: null };
    const client = new Client(this.origin, { ...this.clientOptions, connect: trackingConnector(this.connect, socket) });
    this.all.push(client);
    this.sockets.set(client, socket);
    return client;
  }
}

/**
 * HTTP/2: at most `max` connections to the origin, each carrying many streams at once. The first
 * `max` requests open one each; after that a request goes on the connection with the fewest streams
 * in flight. undici queues streams beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS inside the
 * connection's Client.
 */
export class MultiplexedPool implements Connections {
  private readonly streams = new Map<Client, number>();
  private readonly sockets = new Map<Client, SocketState>();

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly clientOptions: Client.Options,
    private readonly connect: buildConnector.connector,
  ) {}

  acquire(use: (client: Client) => void): () => void {
    let chosen: Client | undefined;
    if (this.streams.size < this.max) chosen = this.open();
    else {
      let fewest = Infinity;
      for (const [client, count] of this.streams) {
        if (count < fewest) {
          fewest = count;
          chosen = client;
        }
      }
    }
    this.streams.set(chosen!, this.streams.get(chosen!)! + 1);
    use(chosen!);
    return () => undefined;
  }

  release(client: Client): void {
    const count = this.streams.get(client);
    if (count !== undefined) this.streams.set(client, count - 1);
  }

  socketOf(client: Client): SocketState {
    return this.sockets.get(client)!;
  }

  async close(): Promise<void> {
    const clients = [...this.streams.keys()];
    this.streams.clear();
    await Promise.all(clients.map((client) => client.destroy().catch(() => undefined)));
  }

  private open(): Client {
    const socket: SocketState = { written: 0, reset: false, tlsError: null };
    const client = new Client(this.origin, { ...this.clientOptions, connect: trackingConnector(this.connect, socket) });
    this.streams.set(client, 0);
    this.sockets.set(client, socket);
    return client;
  }
}

/** HTTP/2 streams one connection may carry at once before undici queues them (the server may say fewer). */
export const HTTP2_MAX_STREAMS_PER_CONNECTION = 1000;

/**
 * undici (7.30) fails the requests queued on a connection whose certificate names another host
 * without taking them off its count of requests running, and the connection's next request then
 * waits forever. The same failure under another code takes undici's ordinary path; its class
 * (tls_hostname) comes from the original error, kept as the cause.
 */
function ordinaryConnectError(error: Error): Error {
  if (errorCode(error) !== "ERR_TLS_CERT_ALTNAME_INVALID") return error;
  return Object.assign(new Error(error.message, { cause: error }), { code: "TOKENSTORM_TLS_HOSTNAME" });
}

/**
 * undici connector options for the run's TLS settings and, with `http2`, HTTP/2: ALPN over TLS, prior
 * knowledge over plain TCP (useH2c applies to http:// only, marking the plain socket as h2; the
 * types do not list it yet).
 */
export function connectOptions(tls: ClientTls | undefined, http2: boolean): buildConnector.BuildOptions {
  return { ...tlsConnectOptions(tls), ...(http2 ? { allowH2: true, useH2c: true } : {}) } as buildConnector.BuildOptions;
}

/**
 * The driver's connector: undici's, with the run's TLS settings and HTTP/2 (ALPN over TLS, prior
 * knowledge over plain TCP), telling `onConnect` each new connection's TCP set-up and, apart from
 * it, its TLS handshake. Called once per connect attempt (a kept-alive connection is not connected
 * again): null when it failed, also when it failed before it began.
 */
export function measuredConnector(options: DriverOptions): buildConnector.connector {
  const base = buildConnector({ timeout: options.connectTimeoutMs, ...connectOptions(options.tls, options.http2 === true) }) as unknown as (
    connectOptions: buildConnector.Options,
    callback: buildConnector.Callback,
  ) => Socket | undefined;
  return (connectOptions, callback) => {
    const startedAt = nowMs();
    const tls = connectOptions.protocol === "https:";
    let tcpAt = 0;
    try {
      const socket = base(connectOptions, (...args: buildConnector.CallbackArgs) => {
        const at = nowMs();
        if (args[0] !== null) {
          options.onConnect(null);
          return callback(ordinaryConnectError(args[0]), null);
        }
        if (tls && tcpAt > 0) options.onConnect(tcpAt - startedAt, at - tcpAt);
        else options.onConnect(at - startedAt);
        callback(...args);
      });
      // A TLS socket says `connect` when its TCP connection is up, `secureConnect` after the handshake.
      if (tls) socket?.once("connect", () => (tcpAt = nowMs()));
    } catch (err) {
      options.onConnect(null);
      throw err;
    }
  };
}
