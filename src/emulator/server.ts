// Starting and stopping the emulator: wires options, the shared timing wheel, admission, failure
// injection and counters into one node:http server, and closes it without waiting on open streams.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, createSecureServer as createHttp2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { RunError, UsageError } from "../errors.js";
import { Admission, type AdmissionControl } from "./admission.js";
import { mulberry32 } from "../random.js";
import { FailureInjector } from "./failures.js";
import type { GenerationEnv } from "./job.js";
import { type EmulatorOptions, type EmulatorTls, resolveOptions } from "./options.js";
import { PrefixCache } from "./prefix-cache.js";
import { Pacing } from "./pacing.js";
import { dispatch, emulatorRoutes, type Routes, type StatsProvider } from "./routes.js";
import { EmulatorMetrics, renderEmulatorMetrics } from "./metrics.js";
import { type EmulatorView, statsOf, takeSnapshot, type EmulatorSnapshot } from "./snapshot.js";
import { EmulatorCounters, type EmulatorStats } from "./stats.js";
import { TimingWheel } from "./timing-wheel.js";
import { FULL_ROUNDS, LIGHT_ROUNDS, warmUpEmulatorCode } from "./warm-up.js";
import { fileLimitAdvice, openFileLimits } from "./file-limit.js";
import { startGrpcGateway } from "../protocols/grpc-voice/server.js";
import { attachRealtime } from "../protocols/realtime/emulator.js";
import { loadTokenizer, type Tokenizer } from "../workload/tokenizer.js";

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  host: string;
  stats(): EmulatorStats;
  /** This process's counters, gauges and histograms as plain data, for a fleet's sum. */
  snapshot(): EmulatorSnapshot;
  /** Zero the counters and the lateness histogram; the gauges (active, waiting) stay. */
  resetStats(): void;
  /** Destroy every open stream and stop listening. */
  close(): Promise<void>;
  /** The voice agent as a gRPC gateway (`grpcPort`), `grpc://host:port`; null without one. */
  grpcUrl: string | null;
  /**
   * With `session`: the key POST /api/run and /api/publish take, `sessionApiKey` or, without one, a key
   * made up at start (16 random bytes, hex), so the APIs that change state are never open; null without `session`.
   */
  sessionApiKey: string | null;
}

/** Jitter draws get their own generator, so failure decisions do not depend on the jitter setting. */
const JITTER_SEED_SALT = 0x9e3779b9;
/** Tool-call draws get their own generator too, so turning them on does not move the failure draws. */
const TOOL_CALL_SEED_SALT = 0x7f4a7c15;
/** Bursts of thousands of simultaneous connects must not be refused by a short accept queue. */
const LISTEN_BACKLOG = 4096;

function reportInternalError(err: unknown): void {
  process.stderr.write(`tokenstorm emulator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

/** `exclusive: false` shares the port with the other workers of an `emulate --workers` fleet. */
function listen(server: Server, host: string, port: number, exclusive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new RunError(`cannot listen on ${host}:${port}: ${err.message}`));
    server.once("error", onError);
    server.listen({ host, port, backlog: LISTEN_BACKLOG, exclusive }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function urlOf(host: string, port: number, tls: boolean): string {
  return `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The server for the options: http, https, or HTTP/2 (over TLS beside HTTP/1.1 by ALPN, else h2c
 * only). HTTP/2's compatibility request and response carry the same calls the routes make of
 * node:http's (headers, writeHead, write with its backpressure, end, close), so one handler serves
 * both; the voice and session WebSockets attach to the `upgrade` event of HTTP/1.1 connections.
 */
function createEmulatorServer(tls: EmulatorTls | undefined, http2: boolean, handler: RequestListener): Server {
  const secure = tls && {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa !== undefined ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  };
  if (!http2) return secure ? createHttpsServer({ ...secure, noDelay: true }, handler) : createServer({ noDelay: true }, handler);
  const compat = handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  const server = secure ? createHttp2SecureServer({ ...secure, allowHTTP1: true }, compat) : createHttp2Server(compat);
  // An HTTP/2 server is not an http.Server, but it has everything the emulator calls on one.
  return server as unknown as Server;
}

/** How an emulator worker of `emulate --workers` joins its fleet (see fleet-worker.ts). */
export interface FleetHooks {
  /** The admission every worker shares, so --max-running / --max-waiting mean the whole server. */
  admission?: AdmissionControl;
  /** What /stats, /metrics and /stats/reset serve: the fleet's sum, given this worker's own. */
  provider(local: StatsProvider): StatsProvider;
}

/** The --tokenizer the emulator counts prompts with; a bad name or file is a usage error. */
function emulatorTokenizer(nameOrPath: string): Tokenizer {
  try {
    return loadTokenizer(nameOrPath);
  } catch (err) {
    throw new UsageError(`--tokenizer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function startEmulator(options: EmulatorOptions = {}, fleet?: FleetHooks): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  if (resolved.warmUp) await warmUpEmulatorCode((warmUpOptions) => startEmulator(warmUpOptions), { rounds: resolved.warmUp === "light" ? LIGHT_ROUNDS : FULL_ROUNDS });
  const wheel = new TimingWheel(reportInternalError);
  const admission = fleet?.admission ?? new Admission(resolved.maxRunning, resolved.maxWaiting, resolved.kvCacheTokens);
  const counters = new EmulatorCounters();
  const env: GenerationEnv = {
    options: resolved,
    wheel,
    admission,
    counters,
    metrics: new EmulatorMetrics(),
    pacing: new Pacing(resolved, mulberry32(resolved.seed ^ JITTER_SEED_SALT), () => admission.running, () => admission.kvTokens),
    failures: new FailureInjector(resolved, mulberry32(resolved.seed)),
    prefixCache: resolved.prefixCacheTokens > 0 ? new PrefixCache(resolved.prefixCacheTokens, resolved.blockSize) : undefined,
    toolCallDraw: mulberry32(resolved.seed ^ TOOL_CALL_SEED_SALT),
    tokenizer: resolved.tokenizer === null ? undefined : emulatorTokenizer(resolved.tokenizer),
  };
  const source = (): EmulatorView => ({
    counters,
    running: admission.running,
    activePeak: admission.peakRunning,
    waiting: admission.waiting,
    kvTokens: admission.kvTokens,
    lateness: wheel.lateness,
    metrics: env.metrics,
    voice: realtime.host.stats.snapshot(),
    grpc: gateway?.stats(),
  });
  const stats = (): EmulatorStats => statsOf(source());
  const resetStats = (): void => {
    counters.reset();
    admission.resetPeak();
    wheel.lateness.reset();
    env.metrics.reset();
    realtime.host.stats.reset();
  };
  const local: StatsProvider = { stats, metricsText: () => renderEmulatorMetrics(source(), resolved.model, resolved.kvCacheTokens), reset: resetStats };
  let routes: Routes = emulatorRoutes(env, fleet ? fleet.provider(local) : local);
  const server = createEmulatorServer(options.tls, options.http2 === true, (req: IncomingMessage, res: ServerResponse) => {
    void dispatch(routes, req, res, reportInternalError);
  });
  // Every connection, counted and kept until it closes: an HTTP/2 server has no closeAllConnections().
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    counters.connections++;
    // Tokens are small writes that must leave at once: the HTTP/2 and TLS servers take no noDelay option.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", () => counters.http2Sessions++);
  // --session: the session protocol's API and gateway on this server too (loaded only when asked for).
  const sessionApiKey = options.session ? (options.sessionApiKey ?? randomBytes(16).toString("hex")) : null;
  const session = options.session
    ? (await import("../protocols/session/emulator.js")).attachSession(server, { length: resolved.length, delayMs: resolved.itlMs, ttftMs: resolved.ttftMs }, reportInternalError, sessionApiKey)
    : null;
  if (session) routes = new Map([...routes, ...session.routes]);
  // Both voice transports report to the registry /metrics serves, each under its own transport label.
  const realtime = await attachRealtime(server, wheel, resolved.voice, env.metrics.voice("realtime"), session ? [session.upgradePath] : [], options.realtimeOnDemand ?? false);
  const gateway = options.grpcPort === undefined ? null : await startGrpcGateway({ host: resolved.host, port: options.grpcPort, voice: resolved.voice, unavailableRate: options.grpcUnavailableRate ?? 0, wheel, metrics: env.metrics.voice("grpc-voice"), ...(options.tls ? { tls: options.tls } : {}) });
  // Outside a fleet the port is this process's own, also in a cluster worker (a warm-up's scratch server).
  await listen(server, resolved.host, resolved.port, fleet === undefined);
  // A refused accept (out of file descriptors) must not end the process: say why, once.
  let acceptErrorReported = false;
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (acceptErrorReported) return;
    acceptErrorReported = true;
    const limits = err.code === "EMFILE" || err.code === "ENFILE" ? openFileLimits() : null;
    process.stderr.write(`tokenstorm emulator: refusing connections: ${err.message}${limits ? `; ${fileLimitAdvice(limits)}` : ""}\n`);
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      admission.close();
      realtime.close();
      session?.close();
      wheel.stop();
      const gatewayClosed = gateway?.close();
      server.close(() => void Promise.resolve(gatewayClosed).then(() => resolve()));
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return {
    url: urlOf(resolved.host, port, options.tls !== undefined),
    port,
    host: resolved.host,
    stats,
    snapshot: () => takeSnapshot(source()),
    resetStats,
    close,
    grpcUrl: gateway?.url ?? null,
    sessionApiKey,
  };
}
