// `tokenstorm proxy`: a streaming reverse proxy that measures the live traffic passing through it
// with run's own collector (TTFT, ITL, TPOT, e2e, tokens, error classes; request type = model), and
// optionally holds requests in a FIFO so that at most N go upstream at once. Finished requests and
// one timeline point a second feed the same outputs `run` has (raw NDJSON, Prometheus, web view,
// report JSON); the queue's figures ride on the timeline points.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client, Dispatcher } from "undici";
import { arrivalMs, nowMs, wallClockIso } from "../clock.js";
import { ErrorClass, RunError, httpErrorClass } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import { LatencyHistogram } from "../metrics/histogram.js";
import { ConnectionPool } from "../protocols/http/connections.js";
import type { DriverOptions, RequestSpec } from "../protocols/types.js";
import { buildReport } from "../report/build.js";
import { urlOf } from "../report/http-server.js";
import type { Output } from "../report/output.js";
import type { Report, TimelinePoint } from "../report/types.js";
import { ProxyExchange, sendProxyError } from "./exchange.js";
import { UpstreamGate, type GateTicket } from "./queue.js";
import { routeOf, type ProxyRoute } from "./routes.js";

export interface ProxyOptions {
  host: string;
  /** 0: a free port. */
  port: number;
  upstream: URL;
  /** Requests upstream at once; 0: no limit (in-flight is still reported). */
  maxUpstream: number;
  /** Requests waiting at the proxy beyond which it answers 429. */
  maxQueue: number;
  /** No byte from the upstream for this long ends a request (timeout_headers / timeout_idle); 0: never. */
  idleTimeoutMs: number;
  /** Fed every finished request and a snapshot each second; finished with the session's report. */
  outputs: Output[];
  /** The report's `config` block. */
  config: Record<string, unknown>;
}

/** The largest request body the proxy reads (it needs the model name from it). */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
const TICK_MS = 1000;
/** Distinct model names measured apart; later ones are counted under OTHER_MODELS. */
const MAX_MODELS = 100;
const OTHER_MODELS = "other";
/** Requests outside the measured routes are passed through under this label. */
const UNMEASURED = "";

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The whole request body (prompts are small next to responses), or null when the client left or it is too large. */
function readBody(req: IncomingMessage): Promise<Buffer | "too-large" | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too-large");
        return;
      }
      parts.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", () => resolve(null));
    req.on("aborted", () => resolve(null));
  });
}

/** Model and output-token cap from a JSON request body (OpenAI max_tokens, Ollama options.num_predict). */
function requestFacts(body: Buffer): { model: string; maxTokens: number | null } {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { model?: unknown; max_tokens?: unknown; options?: { num_predict?: unknown } };
    const model = typeof parsed.model === "string" && parsed.model.length > 0 ? parsed.model : "unknown";
    const cap = parsed.max_tokens ?? parsed.options?.num_predict;
    return { model, maxTokens: typeof cap === "number" && Number.isInteger(cap) && cap > 0 ? cap : null };
  } catch {
    return { model: "unknown", maxTokens: null };
  }
}

export class LiveTrafficProxy {
  readonly collector = new Collector();
  readonly gate: UpstreamGate;
  /** Measured requests by route label. */
  readonly requestsByRoute = new Map<string, number>();
  /** Requests at the proxy now (queued or upstream), by model. */
  readonly inFlightByModel = new Map<string, number>();
  /** Time each admitted request waited for an upstream slot, whole session. */
  readonly queueWait = new LatencyHistogram();
  /** Requests passed through outside the measured routes. */
  unmeasured = 0;
  private readonly waitThisSecond = new LatencyHistogram();
  private readonly exchanges = new Set<ProxyExchange>();
  private readonly waiting = new Map<ServerResponse, GateTicket>();
  private readonly connections: ConnectionPool;
  private readonly decoderOptions: DriverOptions;
  private readonly ticker: NodeJS.Timeout;
  private readonly startedAtIso = wallClockIso();
  private readonly upstreamPrefix: string;
  private stopping = false;
  private stopped: Promise<Report> | null = null;
  private resolveFinished!: (report: Report) => void;
  private rejectFinished!: (err: unknown) => void;
  /** Settles once a stop() has drained the streams and finished the outputs. */
  readonly finished = new Promise<Report>((resolve, reject) => {
    this.resolveFinished = resolve;
    this.rejectFinished = reject;
  });

  private constructor(
    private readonly server: Server,
    private readonly options: ProxyOptions,
  ) {
    this.gate = new UpstreamGate(options.maxUpstream, options.maxQueue);
    this.upstreamPrefix = options.upstream.pathname.replace(/\/+$/, "");
    // run's pool of kept-alive connections: one is free again the moment its response has ended, so
    // the next request does not pay for a new connection (which the client would see and we would not).
    this.connections = new ConnectionPool(options.upstream.origin, options.maxUpstream > 0 ? options.maxUpstream : Number.POSITIVE_INFINITY, {
      pipelining: 1,
      headersTimeout: options.idleTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      keepAliveTimeout: 30_000,
    });
    this.decoderOptions = {
      target: options.upstream,
      model: "",
      headers: {},
      timeoutMs: 0,
      idleTimeoutMs: options.idleTimeoutMs,
      connectTimeoutMs: 0,
      maxConnections: options.maxUpstream,
      includeUsage: false,
      // The proxy does not shape requests, so a usage figure is the server's count, never a promise of chunks.
      exactTokens: false,
      onConnect: () => undefined,
    };
    for (const output of options.outputs) output.attach?.(this.collector);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  /** Listen now, so a taken port is a clear error before any traffic. */
  static async start(options: ProxyOptions): Promise<LiveTrafficProxy> {
    let proxy: LiveTrafficProxy | null = null;
    const server = createServer({ noDelay: true }, (req, res) => void proxy!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new RunError(`--listen: cannot listen on ${options.host}:${options.port}: ${err.message}`)));
      server.listen({ host: options.host, port: options.port }, () => resolve());
    });
    proxy = new LiveTrafficProxy(server, options);
    return proxy;
  }

  get url(): string {
    return urlOf(this.options.host, (this.server.address() as AddressInfo).port);
  }

  /** Requests at the proxy now: waiting for a slot or streaming. */
  get open(): number {
    return this.exchanges.size + this.waiting.size;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = arrivalMs();
    res.on("error", () => undefined);
    const route = req.method === "POST" ? routeOf(req.url ?? "/") : null;
    const body = await readBody(req);
    if (body === null) return;
    if (body === "too-large") {
      sendProxyError(res, route?.errorShape ?? "openai", 413, `request body over ${MAX_REQUEST_BYTES} bytes`, { connection: "close" });
      return;
    }
    if (this.stopping) {
      sendProxyError(res, route?.errorShape ?? "openai", 503, "the proxy is stopping", { connection: "close" });
      return;
    }
    if (route === null) {
      this.unmeasured++;
      this.forward(req, res, body, null, null, { type: UNMEASURED, prompt: "", maxTokens: null });
      return;
    }
    const facts = requestFacts(body);
    const maxTokens = facts.maxTokens;
    // Model names come from clients: past a bound, new ones share one label (metrics and memory stay bounded).
    const model = this.collector.byType.has(facts.model) || this.collector.byType.size < MAX_MODELS ? facts.model : OTHER_MODELS;
    this.requestsByRoute.set(route.name, (this.requestsByRoute.get(route.name) ?? 0) + 1);
    this.inFlightByModel.set(model, (this.inFlightByModel.get(model) ?? 0) + 1);
    const trace = this.collector.begin(model, 0, 0, arrivedAt);
    trace.dispatched(arrivedAt);
    const spec: RequestSpec = { type: model, prompt: "", maxTokens };
    const ticket = this.gate.enter();
    if (!ticket) {
      const message = `proxy queue full (${this.gate.maxQueue} waiting for ${this.gate.maxUpstream} upstream slots)`;
      trace.fail(httpErrorClass(429), message);
      sendProxyError(res, route.errorShape, 429, message, { "retry-after": "1" });
      this.finishTrace(trace, model);
      return;
    }
    if (ticket.waiting) {
      this.waiting.set(res, ticket);
      // A client that gives up while waiting leaves the queue; its request never goes upstream.
      res.once("close", () => {
        if (!this.waiting.delete(res)) return;
        ticket.leave();
        trace.fail(ErrorClass.cancelled, "client disconnected while queued at the proxy");
        this.finishTrace(trace, model);
      });
    }
    ticket.whenAdmitted(() => {
      this.waiting.delete(res);
      const waitedMs = nowMs() - arrivedAt;
      this.queueWait.recordMs(waitedMs);
      this.waitThisSecond.recordMs(waitedMs);
      this.forward(req, res, body, route, ticket, spec, trace, model);
    });
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    route: ProxyRoute | null,
    ticket: GateTicket | null,
    spec: RequestSpec,
    trace: ReturnType<Collector["begin"]> | null = null,
    model = UNMEASURED,
  ): void {
    let connection: Client | null = null;
    let withdraw = (): void => undefined;
    const exchange = new ProxyExchange({
      res,
      trace,
      route,
      spec,
      decoderOptions: this.decoderOptions,
      done: (finished) => {
        this.exchanges.delete(finished);
        if (connection) this.connections.release(connection);
        else withdraw();
        ticket?.leave();
        if (trace !== null) this.finishTrace(trace, model);
      },
    });
    this.exchanges.add(exchange);
    res.once("close", () => {
      if (!res.writableFinished) exchange.cancel("client disconnected");
    });
    const headers = { ...(req.headers as Record<string, string | string[]>) };
    for (const name of ["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]) delete headers[name];
    headers["content-length"] = String(body.length);
    const dispatch: Dispatcher.DispatchOptions = { path: this.upstreamPrefix + (req.url ?? "/"), method: req.method as Dispatcher.HttpMethod, headers, body: body.length > 0 ? body : null };
    withdraw = this.connections.acquire((client) => {
      // The client left while the connection was on its way: pass the connection on.
      if (exchange.ended) {
        this.connections.release(client);
        return;
      }
      connection = client;
      try {
        client.dispatch(dispatch, exchange);
      } catch (err) {
        exchange.upstreamFailed(err as Error);
      }
    });
  }

  private finishTrace(trace: ReturnType<Collector["begin"]>, model: string): void {
    const left = (this.inFlightByModel.get(model) ?? 1) - 1;
    this.inFlightByModel.set(model, left);
    const record = this.collector.finish(trace);
    for (const output of this.options.outputs) output.onRequest?.(record);
  }

  /** Close the second: the run's timeline point, with the queue's figures on it. */
  private tick(): TimelinePoint {
    const point = this.collector.tick();
    const wait = this.waitThisSecond;
    Object.assign(point, {
      queue_depth: this.gate.depth,
      queue_depth_max: this.gate.takeDepthPeak(),
      upstream_in_flight: this.gate.inFlight,
      queue_wait_p50: wait.count > 0 ? round(wait.percentileMs(50)) : null,
      queue_wait_p95: wait.count > 0 ? round(wait.percentileMs(95)) : null,
    } satisfies Partial<TimelinePoint>);
    wait.reset();
    const snapshot = this.collector.snapshot(null, point);
    for (const output of this.options.outputs) output.onTick?.(snapshot);
    return point;
  }

  /**
   * Stop taking requests, let those in flight (and those queued) finish for up to `gracefulS`
   * seconds, cancel the rest, and finish the outputs with the session's report.
   */
  stop(gracefulS: number, interrupted: boolean): Promise<Report> {
    if (this.stopped === null) {
      this.stopped = this.drainAndReport(gracefulS, interrupted);
      this.stopped.then(this.resolveFinished, this.rejectFinished);
    }
    return this.stopped;
  }

  /** End at once: what is in flight is cancelled (a second Ctrl-C). */
  cancelAll(): void {
    for (const [res, ticket] of [...this.waiting]) {
      ticket.leave();
      res.destroy();
    }
    for (const exchange of [...this.exchanges]) exchange.cancel("proxy stopped");
  }

  private async drainAndReport(gracefulS: number, interrupted: boolean): Promise<Report> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = nowMs() + gracefulS * 1000;
    while (this.open > 0 && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.cancelAll();
    this.server.closeAllConnections();
    await closed;
    clearInterval(this.ticker);
    if (nowMs() - this.collector.lastTickAt > 50) this.tick();
    await this.connections.close();
    const durationS = (nowMs() - this.collector.startedAt) / 1000;
    const report = buildReport({ collector: this.collector, config: this.options.config, durationS, interrupted, startedAtIso: this.startedAtIso, finishedAtIso: wallClockIso() });
    report.proxy = {
      max_upstream: this.gate.maxUpstream,
      max_queue: this.gate.maxQueue,
      queue_depth_max: this.gate.maxDepthSeen,
      rejected: this.gate.rejected,
      unmeasured: this.unmeasured,
      by_route: Object.fromEntries(this.requestsByRoute),
      queue_wait: this.queueWait.count > 0 ? this.queueWait.summary() : null,
    };
    for (const output of this.options.outputs) await output.finish(report);
    return report;
  }
}
