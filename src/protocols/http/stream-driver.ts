// The shared HTTP streaming driver: a bounded pool of kept-alive connections, requests dispatched
// with a raw handler so that each chunk is timestamped the moment undici hands it over, and one
// sweeper enforcing idle / header / total timeouts for all requests (no timer per request).
// Protocols plug in only what differs: path, body and a decoder for the response stream.
import { Client, buildConnector, type Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import { arrivalMs, nowMs } from "../../clock.js";
import { ErrorClass, RequestFailure, classifyError, httpErrorClass } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
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
  body(spec: RequestSpec, options: DriverOptions): unknown;
  decoder(trace: RequestTrace, spec: RequestSpec, options: DriverOptions): StreamDecoder;
}

const ERROR_BODY_LIMIT = 2048;
const SWEEP_INTERVAL_MS = 50;

/** Pull a readable message out of an error body (OpenAI / Ollama shapes), else its text. */
function errorMessageOf(status: number, body: string): string {
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

class StreamHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private decoder: StreamDecoder | null = null;
  private errorBody = "";
  private settled = false;

  constructor(
    private readonly trace: RequestTrace,
    private readonly makeDecoder: () => StreamDecoder,
    private readonly done: (handler: StreamHandler) => void,
  ) {}

  get request(): RequestTrace {
    return this.trace;
  }

  /** Called right before undici writes the request: the moment latencies are measured from. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.trace.sent(nowMs());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, _headers: IncomingHttpHeaders): void {
    this.trace.headers(arrivalMs(), statusCode);
    if (statusCode < 200 || statusCode >= 300) return;
    this.decoder = this.makeDecoder();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const at = arrivalMs();
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
        const failure = err instanceof RequestFailure ? err : new RequestFailure(ErrorClass.malformed, String(err));
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
    if (failure) this.trace.fail(failure.errorClass, failure.message);
    else {
      let cls = classifyError(error);
      // A socket error after the response started is a broken stream, whatever the socket said.
      if (this.trace.headersAt > 0 && (cls === ErrorClass.reset || cls === ErrorClass.other)) cls = ErrorClass.streamAborted;
      this.trace.fail(cls, error.message || String(error));
    }
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

/**
 * The driver's connections to its one origin: an undici Client each, carrying one request at a time,
 * at most `max` of them. undici's own Pool hands a connection back only an event-loop turn after its
 * response ended (undici waits that turn before writing on a reused socket), so a closed-model client
 * whose next request follows at once found its connection still taken and opened another one: 10
 * clients reached 16-20 connections. Here a connection is free the moment its response has ended; a
 * request given to it then waits inside the Client for that same turn and goes out on the kept-alive
 * socket. A Client whose socket closed (server keep-alive timeout, an aborted request) connects again.
 */
class ConnectionPool {
  /** Free connections, the most recently used last: it is the least likely to have been timed out. */
  private readonly idle: Client[] = [];
  private readonly all: Client[] = [];
  /** Requests waiting for a connection, in arrival order. */
  private readonly waiting = new Set<(client: Client) => void>();

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly clientOptions: Client.Options,
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

  async close(): Promise<void> {
    this.waiting.clear();
    this.idle.length = 0;
    await Promise.all(this.all.map((client) => client.destroy().catch(() => undefined)));
  }

  private open(): Client | undefined {
    if (this.all.length >= this.max) return undefined;
    const client = new Client(this.origin, this.clientOptions);
    this.all.push(client);
    return client;
  }
}

export class HttpStreamDriver implements ProtocolDriver {
  private readonly connections: ConnectionPool;
  private readonly inFlight = new Set<StreamHandler>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly protocol: HttpStreamProtocol,
    private readonly options: DriverOptions,
  ) {
    this.origin = options.target.origin;
    this.path = pathUnder(options.target, protocol.path);
    const baseConnect = buildConnector({ timeout: options.connectTimeoutMs });
    // Called once per TCP connect attempt (a kept-alive connection is not connected again): its
    // set-up time when it succeeded, null when it failed, also when it failed before it began.
    const connect: buildConnector.connector = (connectOptions, callback) => {
      const startedAt = nowMs();
      try {
        baseConnect(connectOptions, (...args: buildConnector.CallbackArgs) => {
          options.onConnect(args[0] === null ? nowMs() - startedAt : null);
          callback(...args);
        });
      } catch (err) {
        options.onConnect(null);
        throw err;
      }
    };
    this.connections = new ConnectionPool(this.origin, Math.max(1, options.maxConnections), {
      pipelining: 1,
      // Our sweeper owns every timeout, so that each is classified and measured the same way.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      connect,
    });
    this.headers = {
      "content-type": "application/json",
      accept: protocol.accept,
      ...options.headers,
    };
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  execute(spec: RequestSpec, trace: RequestTrace): Promise<void> {
    const body = JSON.stringify(this.protocol.body(spec, this.options));
    return new Promise<void>((resolve) => {
      let connection: Client | null = null;
      let ended = false;
      let withdraw = (): void => undefined;
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
      );
      this.inFlight.add(handler);
      trace.dispatched(nowMs());
      withdraw = this.connections.acquire((client) => {
        // Cancelled while the connection was on its way to it: pass the connection on.
        if (ended) {
          this.connections.release(client);
          return;
        }
        connection = client;
        try {
          client.dispatch({ path: this.path, method: "POST", headers: this.headers, body }, handler);
        } catch (err) {
          handler.error(err as Error);
        }
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
