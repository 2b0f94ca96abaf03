// The shared HTTP streaming driver: a bounded pool of kept-alive connections, requests dispatched
// with a raw handler so that each chunk is timestamped the moment undici hands it over, and one
// sweeper enforcing idle / header / total timeouts for all requests (no timer per request).
// A request that finds its kept-alive connection already closed by the server goes out again, once.
// HTTP/2 (--http2) multiplexes the streams on a few connections instead (MultiplexedPool).
// Protocols plug in only what differs: path, body and a decoder for the response stream.
import type { Client, Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import { arrivalMs, nowMs } from "../../clock.js";
import { ErrorClass, RequestFailure, classifyError, httpErrorClass, type ErrorClassName } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import {
  ConnectionPool,
  errorCode,
  HTTP2_MAX_STREAMS_PER_CONNECTION,
  measuredConnector,
  MultiplexedPool,
  type Connections,
  type SocketState,
} from "./connections.js";
import type { DriverOptions, ProtocolDriver, RequestSpec } from "../types.js";

/** Turns response bytes into token events on the trace. Throws RequestFailure on bad payloads. */
export interface StreamDecoder {
  push(chunk: Buffer, at: number): void;
  /** The response ended cleanly; throw RequestFailure(truncated) if the end marker never came. */
  end(at: number): void;
}

/** A splitter that turns bytes into protocol messages (SSE events, NDJSON lines). */
export interface MessageSplitter {
  push(chunk: Buffer, at: number): void;
  /** Deliver what is left at the end of the response. */
  flush(at: number): void;
}

/** A decoder for protocols whose stream must close with an end marker ([DONE], done:true). */
export function endMarkedDecoder(splitter: MessageSplitter, ended: () => boolean, marker: string): StreamDecoder {
  return {
    push: (chunk, at) => splitter.push(chunk, at),
    end(at) {
      splitter.flush(at);
      if (!ended()) throw new RequestFailure(ErrorClass.truncated, `stream ended without ${marker}`);
    },
  };
}

/** What a concrete HTTP streaming protocol supplies. */
export interface HttpStreamProtocol {
  path: string;
  accept: string;
  /** Headers the protocol always sends (an API version); --header and the API key come after them. */
  headers?: Record<string, string>;
  body(spec: RequestSpec, options: DriverOptions): unknown;
  decoder(trace: RequestTrace, spec: RequestSpec, options: DriverOptions): StreamDecoder;
}

const ERROR_BODY_LIMIT = 2048;
const SWEEP_INTERVAL_MS = 50;

/** The class of a socket or HTTP-layer error: after the response started, a broken stream whatever the socket said. */
export function classifyStreamError(error: unknown, responseStarted: boolean): ErrorClassName {
  const cls = classifyError(error);
  return responseStarted && (cls === ErrorClass.reset || cls === ErrorClass.other) ? ErrorClass.streamAborted : cls;
}

/** Pull a readable message out of an error body (OpenAI / Ollama shapes), else its text. */
export function errorMessageOf(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const inner = typeof parsed.error === "string" ? parsed.error : parsed.error?.message ?? parsed.message;
    if (inner) return `HTTP ${status}: ${inner}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim().slice(0, 200);
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

/**
 * Keep a target URL's path prefix (a proxy mount such as http://host/llm) in front of the protocol
 * path; a prefix that already ends in the protocol's first segment (a base URL ending in /v1) is not
 * repeated.
 */
function pathUnder(target: URL, protocolPath: string): string {
  let prefix = target.pathname.replace(/\/+$/, "");
  const firstSegment = protocolPath.slice(0, protocolPath.indexOf("/", 1));
  if (firstSegment && prefix.endsWith(firstSegment)) prefix = prefix.slice(0, -firstSegment.length);
  return prefix + protocolPath;
}

/**
 * Socket errors that say the server closed a connection. On a kept-alive connection that carried
 * an earlier request, they mean the server closed it idle while the next request was on its way.
 */
const CLOSED_SOCKET_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

class StreamHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private decoder: StreamDecoder | null = null;
  private errorBody = "";
  private settled = false;
  private socket: SocketState | null = null;
  /** The request went out on a socket that had carried an earlier request. */
  private reusedSocket = false;
  private receivedBytes = false;

  constructor(
    private readonly trace: RequestTrace,
    private readonly makeDecoder: () => StreamDecoder,
    private readonly done: (handler: StreamHandler) => void,
    /** Send the request again after its kept-alive connection turned out closed; false when that is not allowed. */
    private readonly retry: () => boolean,
  ) {}

  get request(): RequestTrace {
    return this.trace;
  }

  /** The connection's socket state, set before the request is dispatched on it. */
  useSocket(socket: SocketState): void {
    this.socket = socket;
  }

  /**
   * Called right before undici writes the request: the moment latencies are measured from. A
   * request sent again (the kept-alive connection was found closed) keeps its first send time.
   */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.socket) this.reusedSocket = this.socket.written++ > 0;
    if (this.trace.sentAt === 0) this.trace.sent(nowMs());
    else this.trace.lastActivityAt = nowMs();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, _headers: IncomingHttpHeaders): void {
    this.receivedBytes = true;
    this.trace.headers(arrivalMs(), statusCode);
    if (statusCode < 200 || statusCode >= 300) return;
    this.decoder = this.makeDecoder();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const at = arrivalMs();
    this.receivedBytes = true;
    this.trace.lastActivityAt = at;
    if (this.settled) return;
    if (this.decoder === null) {
      if (this.errorBody.length < ERROR_BODY_LIMIT) this.errorBody += chunk.toString("utf8");
      return;
    }
    try {
      this.decoder.push(chunk, at);
    } catch (err) {
      this.abort(err instanceof RequestFailure ? err : new RequestFailure(ErrorClass.malformed, String(err)));
    }
  }

  onResponseEnd(): void {
    const at = arrivalMs();
    if (this.settled) return;
    const status = this.trace.status ?? 0;
    if (this.decoder === null) {
      this.trace.fail(httpErrorClass(status), errorMessageOf(status, this.errorBody));
    } else {
      try {
        this.decoder.end(at);
      } catch (err) {
        let failure = err instanceof RequestFailure ? err : new RequestFailure(ErrorClass.malformed, String(err));
        // undici ends a response delimited by the connection's close as complete also when the
        // close was a reset: a stream cut by a reset was aborted, not truncated by its server.
        if (failure.errorClass === ErrorClass.truncated && this.socket?.reset) {
          failure = new RequestFailure(ErrorClass.streamAborted, `connection reset by the server before the stream's end (${failure.message})`);
        }
        this.trace.fail(failure.errorClass, failure.message);
      }
    }
    this.settle(at);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.error(error);
  }

  /** The request failed at the socket or HTTP layer (also when dispatch itself throws). */
  error(error: Error): void {
    if (this.settled) return;
    const at = nowMs();
    const failure = error instanceof RequestFailure ? error : null;
    const tlsError = this.socket?.tlsError ?? null;
    if (failure) this.trace.fail(failure.errorClass, failure.message);
    else if (tlsError !== null && !this.receivedBytes) {
      this.trace.fail(classifyError(tlsError), `${error.message || String(error)}: ${tlsError.message.split("\n")[0]}`);
    } else if (!this.receivedBytes && this.reusedSocket && CLOSED_SOCKET_CODES.has(errorCode(error)) && this.retry()) {
      // The server had closed the kept-alive connection before reading this request: it never
      // saw it, so it goes out again on a new connection, as HTTP clients do.
      this.settled = true;
      return;
    } else if (this.trace.headersAt > 0 && this.decoder === null) {
      // The server answered with an error status and the connection broke inside its body: the
      // answer is the status, whatever became of the socket.
      const status = this.trace.status ?? 0;
      this.trace.fail(httpErrorClass(status), `${errorMessageOf(status, this.errorBody)} (then ${error.message || String(error)})`);
    } else this.trace.fail(classifyStreamError(error, this.trace.headersAt > 0), error.message || String(error));
    this.settle(at);
  }

  /** End the request early with a classified failure (timeouts, bad payloads, cancellation). */
  abort(failure: RequestFailure): void {
    if (this.settled) return;
    this.trace.fail(failure.errorClass, failure.message);
    this.settle(nowMs());
    this.controller?.abort(failure);
  }

  private settle(at: number): void {
    this.settled = true;
    this.trace.endAt = at;
    this.done(this);
  }
}

export class HttpStreamDriver implements ProtocolDriver {
  private readonly connections: Connections;
  private readonly inFlight = new Set<StreamHandler>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly multiplexed: boolean;

  constructor(
    private readonly protocol: HttpStreamProtocol,
    private readonly options: DriverOptions,
  ) {
    this.origin = options.target.origin;
    this.path = pathUnder(options.target, protocol.path);
    this.multiplexed = options.http2 === true;
    const connect = measuredConnector(options);
    const maxConnections = Math.max(1, options.maxConnections);
    // Our sweeper owns every timeout, so that each is classified and measured the same way.
    const timeouts = { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000 };
    this.connections = options.http2
      ? new MultiplexedPool(this.origin, maxConnections, { ...timeouts, allowH2: true, pipelining: HTTP2_MAX_STREAMS_PER_CONNECTION, maxConcurrentStreams: HTTP2_MAX_STREAMS_PER_CONNECTION }, connect)
      : new ConnectionPool(this.origin, maxConnections, { ...timeouts, pipelining: 1 }, connect);
    this.headers = {
      "content-type": "application/json",
      accept: protocol.accept,
      ...protocol.headers,
      ...options.headers,
    };
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  execute(spec: RequestSpec, trace: RequestTrace): Promise<void> {
    const body = JSON.stringify(this.protocol.body(spec, this.options));
    // A request's own headers (a conversation's --session-header) go after the run's.
    const headers = spec.headers ? { ...this.headers, ...spec.headers } : this.headers;
    return new Promise<void>((resolve) => {
      let connection: Client | null = null;
      let ended = false;
      let retried = false;
      let withdraw = (): void => undefined;
      const dispatch = (handler: StreamHandler): void => {
        if (ended) return;
        handler.useSocket(this.connections.socketOf(connection!));
        try {
          // A POST is not idempotent, and undici puts no second one on a connection already busy:
          // over HTTP/2 each goes on a stream of its own, so they may share it.
          connection!.dispatch({ path: this.path, method: "POST", headers, body, idempotent: this.multiplexed }, handler);
        } catch (err) {
          handler.error(err as Error);
        }
      };
      const attempt = (): StreamHandler => {
        const handler = new StreamHandler(
          trace,
          () => this.protocol.decoder(trace, spec, this.options),
          (finished) => {
            ended = true;
            this.inFlight.delete(finished);
            // The response has ended (or the request was aborted, which closes its socket): the
            // connection is free for the next request before this one's caller even resumes.
            if (connection) this.connections.release(connection);
            else withdraw();
            resolve();
          },
          // Once per request, on the same connection: its client opens a new socket for it.
          () => {
            if (retried) return false;
            retried = true;
            this.options.onRetry?.();
            this.inFlight.delete(handler);
            const again = attempt();
            // Not from inside undici's error callback for the socket that just closed.
            queueMicrotask(() => dispatch(again));
            return true;
          },
        );
        this.inFlight.add(handler);
        return handler;
      };
      const first = attempt();
      trace.dispatched(nowMs());
      withdraw = this.connections.acquire((free) => {
        // Cancelled while the connection was on its way to it: pass the connection on.
        if (ended) {
          this.connections.release(free);
          return;
        }
        connection = free;
        dispatch(first);
      });
    });
  }

  private sweep(): void {
    const now = nowMs();
    const { timeoutMs, idleTimeoutMs } = this.options;
    for (const handler of this.inFlight) {
      const trace = handler.request;
      if (timeoutMs > 0 && now - trace.dispatchedAt > timeoutMs) {
        handler.abort(new RequestFailure(ErrorClass.timeout, `request exceeded ${timeoutMs} ms`));
      } else if (idleTimeoutMs > 0 && now - trace.lastActivityAt > idleTimeoutMs) {
        const cls = trace.headersAt > 0 ? ErrorClass.timeoutIdle : ErrorClass.timeoutHeaders;
        handler.abort(new RequestFailure(cls, `no data for ${idleTimeoutMs} ms`));
      }
    }
  }

  cancelAll(): void {
    for (const handler of [...this.inFlight]) {
      handler.abort(new RequestFailure(ErrorClass.cancelled, "run stopped while the request was in flight"));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.cancelAll();
    await this.connections.close();
  }
}
