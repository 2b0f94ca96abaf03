// Starting and stopping the emulator: wires options, the shared timing wheel, admission, failure
// injection and counters into one node:http server, and closes it without waiting on open streams.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RunError } from "../errors.js";
import { Admission } from "./admission.js";
import { mulberry32 } from "../random.js";
import { FailureInjector } from "./failures.js";
import type { GenerationEnv } from "./job.js";
import { type EmulatorOptions, resolveOptions } from "./options.js";
import { Pacing } from "./pacing.js";
import { dispatch, emulatorRoutes } from "./routes.js";
import { EmulatorMetrics } from "./metrics.js";
import { EmulatorCounters, type EmulatorStats } from "./stats.js";
import { TimingWheel } from "./timing-wheel.js";
import { warmUpEmulatorCode } from "./warm-up.js";
import { startGrpcGateway } from "../protocols/grpc-voice/server.js";
import { attachRealtime } from "../protocols/realtime/emulator.js";

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  host: string;
  stats(): EmulatorStats;
  /** Zero the counters and the lateness histogram; the gauges (active, waiting) stay. */
  resetStats(): void;
  /** Destroy every open stream and stop listening. */
  close(): Promise<void>;
  /** The voice agent as a gRPC gateway (`grpcPort`), `grpc://host:port`; null without one. */
  grpcUrl: string | null;
}

/** Jitter draws get their own generator, so failure decisions do not depend on the jitter setting. */
const JITTER_SEED_SALT = 0x9e3779b9;
/** Bursts of thousands of simultaneous connects must not be refused by a short accept queue. */
const LISTEN_BACKLOG = 4096;

function reportInternalError(err: unknown): void {
  process.stderr.write(`tokenstorm emulator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new RunError(`cannot listen on ${host}:${port}: ${err.message}`));
    server.once("error", onError);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  if (resolved.warmUp) await warmUpEmulatorCode(startEmulator);
  const wheel = new TimingWheel(reportInternalError);
  const admission = new Admission(resolved.maxRunning, resolved.maxWaiting);
  const counters = new EmulatorCounters();
  const env: GenerationEnv = {
    options: resolved,
    wheel,
    admission,
    counters,
    metrics: new EmulatorMetrics(),
    pacing: new Pacing(resolved, mulberry32(resolved.seed ^ JITTER_SEED_SALT), () => admission.running),
    failures: new FailureInjector(resolved, mulberry32(resolved.seed)),
  };
  const stats = (): EmulatorStats => ({
    requests: counters.requests,
    active: admission.running,
    waiting: admission.waiting,
    completed: counters.completed,
    rejected: counters.rejected,
    errorsInjected: counters.errorsInjected,
    disconnects: counters.disconnects,
    truncations: counters.truncations,
    clientAborts: counters.clientAborts,
    tokensSent: counters.tokensSent,
    lateness: wheel.lateness.summary(),
    voice: realtime.host.stats.snapshot(),
    ...(gateway ? { grpc: gateway.stats() } : {}),
  });
  const resetStats = (): void => {
    counters.reset();
    wheel.lateness.reset();
    env.metrics.reset();
    realtime.host.stats.reset();
  };
  const routes = emulatorRoutes(env, stats, resetStats);
  const server = createServer({ noDelay: true }, (req, res) => {
    void dispatch(routes, req, res, reportInternalError);
  });
  // Both voice transports report to the registry /metrics serves, each under its own transport label.
  const realtime = attachRealtime(server, wheel, resolved.voice, env.metrics.voice("realtime"));
  const gateway = options.grpcPort === undefined ? null : await startGrpcGateway({ host: resolved.host, port: options.grpcPort, voice: resolved.voice, unavailableRate: options.grpcUnavailableRate ?? 0, wheel, metrics: env.metrics.voice("grpc-voice") });
  await listen(server, resolved.host, resolved.port);
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      admission.close();
      realtime.close();
      wheel.stop();
      const gatewayClosed = gateway?.close();
      server.close(() => void Promise.resolve(gatewayClosed).then(() => resolve()));
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: urlOf(resolved.host, port),
    port,
    host: resolved.host,
    stats,
    resetStats,
    close,
    grpcUrl: gateway?.url ?? null,
  };
}
