// The emulated voice gateway over gRPC: one Converse call is one conversation with its own voice
// agent (the same agent model the realtime WebSocket emulator runs; this file is only the transport).
// Failure injection refuses a fraction of calls with UNAVAILABLE before any event, as an overloaded
// gateway does, and counts them so tests and users can check the client's figures against it.
import type * as grpc from "@grpc/grpc-js";
import { RunError } from "../../errors.js";
import type { VoiceMetrics } from "../../emulator/metrics.js";
import type { EmulatorTls } from "../../emulator/options.js";
import { TimingWheel } from "../../emulator/timing-wheel.js";
import { mulberry32 } from "../../random.js";
import { VoiceAgent } from "../../voice/agent.js";
import { VOICE_AGENT_DEFAULTS, VoiceHost } from "../../voice/host.js";
import type { VoiceAgentOptions, VoiceAgentStats, VoiceServerEvent } from "../../voice/types.js";
import { grpcJs } from "./grpc-modules.js";
import { dropConnection, forcedFailureOf } from "./failures.js";
import { loadVoiceService, type VoiceServiceSource } from "./proto.js";
import { clientEventFromWire, serverEventToWire, WIRE_SAMPLE_RATE, type WireEvent } from "./wire.js";
import type { GrpcGatewayStats } from "./gateway-stats.js";

export type { GrpcGatewayStats };

/**
 * Stop `server`: calls may finish for `graceMs`, then the rest are cut, and either ends the wait.
 * grpc-js never calls tryShutdown back for a session destroyed just before it (Node's session.close()
 * ignores its callback on a destroyed session), which hung a close beside a busy CPU.
 */
export function shutDownGrpcServer(server: grpc.Server, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const forced = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(forced);
      resolve();
    });
  });
}

export interface GrpcGatewayOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 50051 (seed 002's gateway port); 0 picks a free one. */
  port?: number;
  /** The agents' timing and failures (the realtime emulator's agent options); unset ones take its defaults. */
  voice?: Partial<VoiceAgentOptions>;
  /** Serve another compatible .proto / service instead of ours (tests of --proto / --service). */
  source?: VoiceServiceSource;
  /** Fraction of calls refused with UNAVAILABLE (0..1), default 0. */
  unavailableRate?: number;
  /** The emulator's timing wheel, shared with its other streams; default: one of the gateway's own. */
  wheel?: TimingWheel;
  /** Where the agents and refusals are counted for the emulator's /metrics (its `grpc-voice` transport); default: nowhere. */
  metrics?: VoiceMetrics;
  /** Serve grpcs:// with the emulator's certificate (`emulate --tls-cert`); a client CA demands client certificates. */
  tls?: EmulatorTls;
}

export interface RunningGrpcGateway {
  /** `grpc://host:port` (`grpcs://` with TLS), what --target takes. */
  url: string;
  host: string;
  port: number;
  stats(): GrpcGatewayStats;
  /** The agents' own counts: responses by status, barge-ins, false alarms, tool calls, drops. */
  agentStats(): VoiceAgentStats;
  close(): Promise<void>;
}

/** Details of the injected refusal, so a reader of the raw results knows it was the emulator's. */
export const INJECTED_UNAVAILABLE_DETAILS = "voice gateway overloaded (tokenstorm emulator failure injection)";

function credentialsOf(tls: EmulatorTls | undefined): grpc.ServerCredentials {
  const { ServerCredentials } = grpcJs();
  if (!tls) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCa === undefined ? null : Buffer.from(tls.clientCa);
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], clientCa !== null);
}

function bind(server: grpc.Server, host: string, port: number, tls: EmulatorTls | undefined): Promise<number> {
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentialsOf(tls), (err, bound) => {
      if (err) reject(new RunError(`cannot listen on ${address} (gRPC voice gateway): ${err.message}`));
      else resolve(bound);
    });
  });
}

type SessionCreated = Extract<VoiceServerEvent, { type: "session.created" }>;

/** Refusal draws get their own generator, so they do not shift the agents' failure draws. */
const REFUSAL_SEED_SALT = 0x5bd1e995;

export async function startGrpcGateway(options: GrpcGatewayOptions): Promise<RunningGrpcGateway> {
  const { status } = grpcJs();
  const host = options.host ?? "127.0.0.1";
  const unavailableRate = options.unavailableRate ?? 0;
  if (!(unavailableRate >= 0 && unavailableRate <= 1)) throw new RunError(`gRPC gateway unavailableRate must be from 0 to 1 (got ${unavailableRate})`);
  const voice: VoiceAgentOptions = { ...VOICE_AGENT_DEFAULTS, seed: Math.floor(Math.random() * 2 ** 31), ...options.voice };
  const draw = mulberry32(voice.seed ^ REFUSAL_SEED_SALT);
  const ownWheel = options.wheel === undefined;
  const wheel = options.wheel ?? new TimingWheel((err) => process.stderr.write(`tokenstorm grpc gateway: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`));
  // The wire's audio is 16 kHz both ways unless a client configures otherwise.
  const voiceHost = new VoiceHost({ ...voice, outputSampleRate: WIRE_SAMPLE_RATE }, wheel);
  const stats: GrpcGatewayStats = { calls: 0, refused: 0, completed: 0, dropped: 0, cancelledByClient: 0, active: 0, connections: 0 };
  const peers = new Set<string>();
  const calls = new Set<grpc.ServerDuplexStream<WireEvent, WireEvent>>();

  const converse = (call: grpc.ServerDuplexStream<WireEvent, WireEvent>): void => {
    stats.calls++;
    const peer = call.getPeer();
    if (!peers.has(peer)) {
      peers.add(peer);
      stats.connections = peers.size;
    }
    const forced = forcedFailureOf(call.metadata);
    if (forced?.kind === "status") {
      stats.refused++;
      options.metrics?.failureInjected("refused");
      call.emit("error", { code: forced.code, details: forced.details });
      return;
    }
    if (unavailableRate > 0 && draw() < unavailableRate) {
      stats.refused++;
      options.metrics?.failureInjected("refused");
      call.emit("error", { code: status.UNAVAILABLE, details: INJECTED_UNAVAILABLE_DETAILS });
      return;
    }
    stats.active++;
    calls.add(call);
    let ended = false;
    const finish = (outcome: "completed" | "dropped" | "cancelledByClient", ending?: Partial<grpc.StatusObject>): void => {
      if (ended) return;
      ended = true;
      stats.active--;
      stats[outcome]++;
      calls.delete(call);
      agent.close();
      if (outcome === "cancelledByClient" || (outcome === "dropped" && !ending)) return;
      if (ending) call.emit("error", ending);
      else call.end();
    };
    // The agent starts at the realtime API's rates; the wire's 16 kHz input is applied before the
    // client hears of the session, so session_started states the session in force.
    let starting = true;
    const start: { created: SessionCreated | null } = { created: null };
    const send = (event: VoiceServerEvent): void => {
      if (ended) return;
      if (!starting) call.write(serverEventToWire(event));
      else if (event.type === "session.created") start.created = event;
    };
    const agent = new VoiceAgent(voiceHost, send, () => {
      const dropped = dropConnection(call);
      finish("dropped", dropped ? undefined : { code: status.ABORTED, details: "connection dropped mid-response (tokenstorm emulator failure injection)" });
    }, options.metrics);
    if (forced?.kind === "agent") agent.force(forced.failure);
    agent.handle({ type: "session.update", session: { inputSampleRate: WIRE_SAMPLE_RATE } });
    starting = false;
    if (start.created) send({ ...start.created, session: { ...agent.config } });
    call.on("data", (message: WireEvent) => {
      if (ended) return;
      for (const event of clientEventFromWire(message, agent.config)) agent.handle(event);
    });
    call.on("end", () => finish("completed"));
    call.on("cancelled", () => finish("cancelledByClient"));
    call.on("error", () => finish("cancelledByClient"));
  };

  const server = new (grpcJs().Server)();
  const service = loadVoiceService(options.source);
  server.addService(service.definition, { [service.methodName]: converse });
  const port = await bind(server, host, options.port ?? 50051, options.tls);

  let closing: Promise<void> | undefined;
  return {
    url: `${options.tls ? "grpcs" : "grpc"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    stats: () => ({ ...stats }),
    agentStats: () => voiceHost.stats.snapshot(),
    close: () => {
      if (!closing) {
        if (ownWheel) wheel.stop();
        for (const call of [...calls]) call.emit("error", { code: status.UNAVAILABLE, details: "gateway shutting down" });
        closing = shutDownGrpcServer(server);
      }
      return closing;
    },
  };
}
