// The `session` protocol driver (seed 000): per request, subscribe to `session:{uuid}` on a gateway
// WebSocket, POST /api/run to an API node, receive the tokens as publications, unsubscribe. Request
// latency (e2e) runs from the POST to the last token, TTFT from the POST to the first; every token's
// index is checked, so loss, gaps and duplicates are counted exactly.
import { randomUUID } from "node:crypto";
import { Agent, request } from "undici";
import { arrivalMs, nowMs } from "../../clock.js";
import { ErrorClass, RequestFailure, classifyError, httpErrorClass } from "../../errors.js";
import { OVERRIDE_HEADERS } from "../../emulator/overrides.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { tlsConnectOptions } from "../tls.js";
import type { DriverOptions, ProtocolDefinition, ProtocolDriver, RequestSpec } from "../types.js";
import { startEmbeddedSession } from "./embedded.js";
import { ConnectionPool } from "./pool.js";
import { SessionRequest } from "./request.js";
import { warmUpSession } from "./warm-up.js";
import { signConnectionToken } from "./auth.js";
import { RUN_PATH, type RunRequest, type RunResponse, WEBSOCKET_PATH, sessionChannel } from "./wire.js";

const SWEEP_INTERVAL_MS = 50;
const ERROR_BODY_LIMIT = 200;

/**
 * The gateway's WebSocket URL: --ws-target as given (an http(s) base becomes ws(s) on the gateway
 * path), else the API target's own host, as on a node that is both API and gateway.
 */
export function gatewayUrl(target: URL, wsTarget?: URL): string {
  const url = new URL(wsTarget ?? target);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  if (!wsTarget || url.pathname === "/" || url.pathname === "") {
    url.pathname = url.pathname.replace(/\/+$/, "") + WEBSOCKET_PATH;
  }
  return url.toString();
}

class SessionDriver implements ProtocolDriver {
  private readonly agent: Agent;
  private readonly pool: ConnectionPool;
  private readonly inFlight = new Set<SessionRequest>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly runUrl: string;
  private readonly postHeaders: Record<string, string>;
  private readonly delayS: number | undefined;

  constructor(
    private readonly options: DriverOptions,
    tokenSecret: string | null = null,
  ) {
    const tls = tlsConnectOptions(options.tls);
    this.agent = new Agent({ connections: options.maxConnections, connectTimeout: options.connectTimeoutMs, keepAliveTimeout: 30_000, connect: tls });
    // A fresh token for every connection, valid an hour (a connection outliving it keeps going, as in Centrifugo).
    const token = tokenSecret === null ? undefined : () => signConnectionToken(tokenSecret, "tokenstorm", 3600);
    this.pool = new ConnectionPool(gatewayUrl(options.target, options.wsTarget), options.connectTimeoutMs, options.maxConnections, options.onConnect, token, tls);
    this.runUrl = new URL(options.target.pathname.replace(/\/+$/, "") + RUN_PATH, options.target).toString();
    this.postHeaders = { "content-type": "application/json", ...options.headers };
    // Seed 000's API takes the token delay in the body; `run --delay` arrives here as the hint header.
    const itlHint = options.headers[OVERRIDE_HEADERS.itlMs];
    this.delayS = itlHint !== undefined && Number.isFinite(Number(itlHint)) ? Number(itlHint) / 1000 : undefined;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  execute(spec: RequestSpec, trace: RequestTrace): Promise<void> {
    const session = new SessionRequest(trace, spec.maxTokens, (finished) => this.inFlight.delete(finished));
    this.inFlight.add(session);
    trace.dispatched(nowMs());
    // Resolves after the connection went back to the pool, so the client's next cycle finds it there.
    return this.run(spec, session);
  }

  private async run(spec: RequestSpec, session: SessionRequest): Promise<void> {
    const { trace } = session;
    const id = randomUUID();
    const channel = sessionChannel(id);
    // Every step also ends when the request does (a timeout from the sweeper, cancellation), so a
    // gateway that never answers cannot hold the client.
    const orEnd = <T>(step: Promise<T>): Promise<T | void> => Promise.race([step, session.finished]);
    let connection;
    try {
      const acquiring = this.pool.acquire(trace.client);
      connection = await orEnd(acquiring);
      if (!connection) {
        // Timed out while connecting: the connection, if it comes, goes back to the pool.
        acquiring.then((late) => this.pool.release(trace.client, late), () => undefined);
        return;
      }
    } catch (err) {
      return session.fail(err instanceof RequestFailure ? err : new RequestFailure(classifyError(err), String(err)), nowMs());
    }
    try {
      if (session.isSettled) return;
      await orEnd(connection.subscribe(channel, session));
      if (session.isSettled) return;
      await orEnd(this.post(spec, session, id));
      await session.finished;
    } catch (err) {
      session.fail(err instanceof RequestFailure ? err : new RequestFailure(classifyError(err), String(err)), nowMs());
    } finally {
      if (connection.open) connection.unsubscribe(channel);
      else connection.forget(channel);
      this.pool.release(trace.client, connection);
    }
  }

  private async post(spec: RequestSpec, session: SessionRequest, id: string): Promise<void> {
    const { trace } = session;
    const body: RunRequest = { session: id };
    if (spec.maxTokens !== null) body.length = spec.maxTokens;
    if (this.delayS !== undefined) body.delay = this.delayS;
    trace.sent(nowMs());
    try {
      const response = await request(this.runUrl, {
        method: "POST",
        headers: this.postHeaders,
        body: JSON.stringify(body),
        dispatcher: this.agent,
        signal: session.abortPost.signal,
      });
      const at = arrivalMs();
      trace.headers(at, response.statusCode);
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const detail = text.trim().slice(0, ERROR_BODY_LIMIT);
        throw new RequestFailure(httpErrorClass(response.statusCode), `HTTP ${response.statusCode}${detail ? `: ${detail}` : ""}`);
      }
      let promised: number | null = null;
      try {
        const reply = JSON.parse(text) as Partial<RunResponse>;
        if (typeof reply.tokens === "number") promised = reply.tokens;
      } catch {
        // Seed 000's API may answer with anything: only the publications count.
      }
      session.postOk(promised, at);
    } catch (err) {
      if (session.isSettled) return;
      throw err instanceof RequestFailure ? err : new RequestFailure(classifyError(err), (err as Error).message || String(err));
    }
  }

  private sweep(): void {
    const now = nowMs();
    const { timeoutMs, idleTimeoutMs } = this.options;
    for (const session of [...this.inFlight]) {
      const trace = session.trace;
      if (timeoutMs > 0 && now - trace.dispatchedAt > timeoutMs) {
        session.fail(new RequestFailure(ErrorClass.timeout, `request exceeded ${timeoutMs} ms`), now);
      } else if (idleTimeoutMs > 0 && now - trace.lastActivityAt > idleTimeoutMs) {
        const cls = trace.headersAt > 0 || trace.chunks > 0 ? ErrorClass.timeoutIdle : ErrorClass.timeoutHeaders;
        session.fail(new RequestFailure(cls, `no data for ${idleTimeoutMs} ms`), now);
      }
    }
  }

  cancelAll(): void {
    for (const session of [...this.inFlight]) {
      session.fail(new RequestFailure(ErrorClass.cancelled, "run stopped while the request was in flight"), nowMs());
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.cancelAll();
    this.pool.closeAll();
    await this.agent.destroy().catch(() => undefined);
  }
}

export const sessionProtocol: ProtocolDefinition<{ tokenSecret: string | null }> = {
  name: "session",
  description: "subscribe to session:{uuid} over WebSocket (Centrifugo JSON protocol), POST /api/run, tokens arrive as publications (seed 000)",
  settingsOf: (config) => ({ tokenSecret: config.sessionTokenSecret }),
  create: (options, settings) => new SessionDriver(options, settings?.tokenSecret ?? null),
  startEmbedded: (config) => startEmbeddedSession(config),
  warmUp: () => warmUpSession(sessionProtocol),
};
