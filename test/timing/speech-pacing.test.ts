// --speech-pacing over both voice transports, against the real emulated agent: with `realtime` each
// utterance takes as long to send as to say (timed where the agent receives it, by a recording proxy
// on loopback in front of the emulator), in every scenario, the interruption and the false-alarm
// noise (and the silence that ends it under server VAD) included; TTFA still counts from the last
// append actually sent and matches the emulator's setting; `burst` still sends each utterance at
// once (timing suite: tolerances are the idle machine's plus the event-loop delay this process, which
// runs the client, the proxy and the emulator, showed during each run; ./machine.ts). The flag and
// config key: test/speech-pacing.test.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import WebSocket, { WebSocketServer } from "ws";
import { nowMs } from "../../src/clock.js";
import { resolveRunConfig, type RawRunFlags } from "../../src/config/run-config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { runLoadTest } from "../../src/engine/load-test.js";
import { grpcJs } from "../../src/protocols/grpc-voice/grpc-modules.js";
import { loadVoiceService } from "../../src/protocols/grpc-voice/proto.js";
import { shutDownGrpcServer, startGrpcGateway, type RunningGrpcGateway } from "../../src/protocols/grpc-voice/server.js";
import type { WireEvent } from "../../src/protocols/grpc-voice/wire.js";
import type { Report } from "../../src/report/types.js";
import type { VoiceAgentOptions, VoiceAgentStats } from "../../src/voice/types.js";
import { watched, type MachineReading } from "./machine.js";

/** TTFA 150 ms; 2 s answers played 4x faster than real time, so each scenario fits in about 3 s. */
const VOICE = { sttMs: 50, llmFirstTokenMs: 50, ttsFirstAudioMs: 50, responseAudioMs: 2000, pace: 4, toolCallMs: 50 } satisfies Partial<VoiceAgentOptions>;
const TTFA_MS = 150;
/** One turn of each scenario: four clients, one request each, dealt in equal parts. */
const EVERY_SCENARIO: RawRunFlags = { clients: "4", requests: "1", simple: "1", tools: "1", interruptions: "1", falseAlarms: "1", seed: "5", quiet: true };
/** Appends (100 ms each) of seed 003's generated utterances; the false alarm's noise is followed by 600 ms of silence under server VAD. */
const APPENDS = { query: 20, tool_query: 30, interrupting_query: 15, noise_and_silence: 9, noise: 3 };

/** What the machine showed during the latest run (./machine.ts). */
let lastMachine: MachineReading = { loopDelayP50Ms: 0, loopDelayP99Ms: 0, loopDelayMaxMs: 0 };

/**
 * Timing tolerances: those of a machine with a core to spare, plus the longest event-loop delay seen
 * during the run (once where one late wake-up can shift a figure, twice where two can).
 */
function slack(): { earlyMs: number; spanMs: number; ttfaMs: number; lagMs: number } {
  const lateMs = lastMachine.loopDelayMaxMs;
  // earlyMs: the proxy shares this process's event loop, so it may note an utterance's first append late.
  return { earlyMs: 10 + lateMs, spanMs: 60 + 2 * lateMs, ttfaMs: 15 + 2 * lateMs, lagMs: lateMs };
}

/** What the proxy saw a client send on one connection, in order: appends and anything else. */
type Sent = Array<{ at: number; audio: boolean }>;

interface Recorder {
  url: string;
  connections: Sent[];
  close(): Promise<void>;
}

/** Runs of consecutive appends on a connection: each utterance as the agent received it. */
function utterances(sent: Sent): Array<{ appends: number; spanMs: number }> {
  const runs: Array<{ appends: number; spanMs: number }> = [];
  let first = -1;
  for (let i = 0; i <= sent.length; i++) {
    const audio = i < sent.length && sent[i]!.audio;
    if (audio && first < 0) first = i;
    if (!audio && first >= 0) {
      runs.push({ appends: i - first, spanMs: sent[i - 1]!.at - sent[first]!.at });
      first = -1;
    }
  }
  return runs;
}

/** A WebSocket proxy in front of the realtime emulator that notes when each client event arrives. */
async function realtimeRecorder(upstream: string): Promise<Recorder> {
  const connections: Sent[] = [];
  const server: Server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (client, request) => {
    const sent: Sent = [];
    connections.push(sent);
    const pending: string[] = [];
    const agent = new WebSocket(`${upstream.replace(/^http/, "ws")}${request.url ?? "/"}`, { perMessageDeflate: false });
    agent.on("open", () => pending.splice(0).forEach((text) => agent.send(text)));
    client.on("message", (data) => {
      const text = data.toString();
      sent.push({ at: nowMs(), audio: (JSON.parse(text) as { type: string }).type === "input_audio_buffer.append" });
      if (agent.readyState === WebSocket.OPEN) agent.send(text);
      else pending.push(text);
    });
    agent.on("message", (data) => client.send(data.toString()));
    client.on("close", () => agent.close());
    agent.on("close", () => client.close());
    agent.on("error", () => client.terminate());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/** A gRPC proxy in front of the emulated gateway: each Converse call relayed, its client events noted. */
async function grpcRecorder(upstream: RunningGrpcGateway): Promise<Recorder> {
  const grpcLib = grpcJs();
  const service = loadVoiceService();
  const connections: Sent[] = [];
  const gateway = new service.Client(`127.0.0.1:${upstream.port}`, grpcLib.credentials.createInsecure());
  const server = new grpcLib.Server();
  server.addService(service.definition, {
    [service.methodName]: (call: grpc.ServerDuplexStream<WireEvent, WireEvent>) => {
      const sent: Sent = [];
      connections.push(sent);
      const open = (gateway as unknown as Record<string, () => grpc.ClientDuplexStream<WireEvent, WireEvent>>)[service.methodName]!;
      const agent = open.call(gateway);
      call.on("data", (message: WireEvent) => {
        sent.push({ at: nowMs(), audio: message["audio"] !== undefined });
        agent.write(message);
      });
      call.on("end", () => agent.end());
      call.on("error", () => agent.cancel());
      agent.on("data", (message: WireEvent) => call.write(message));
      agent.on("error", () => undefined);
      agent.on("status", (status: grpc.StatusObject) => (status.code === grpcLib.status.OK ? call.end() : call.destroy(Object.assign(new Error(status.details), status))));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpcLib.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  return {
    url: `127.0.0.1:${port}`,
    connections,
    close: () => {
      gateway.close();
      return shutDownGrpcServer(server);
    },
  };
}

interface Transport {
  protocol: "realtime" | "grpc-voice";
  start(): Promise<{ recorder: Recorder; agentStats(): VoiceAgentStats; close(): Promise<void> }>;
}

const TRANSPORTS: Transport[] = [
  {
    protocol: "realtime",
    start: async () => {
      const emulator: RunningEmulator = await startEmulator({ port: 0, seed: 3, warmUp: false, voice: VOICE });
      const recorder = await realtimeRecorder(emulator.url);
      return { recorder, agentStats: () => emulator.stats().voice, close: async () => void (await Promise.all([recorder.close(), emulator.close()])) };
    },
  },
  {
    protocol: "grpc-voice",
    start: async () => {
      const gateway = await startGrpcGateway({ port: 0, voice: { ...VOICE, seed: 3 } });
      const recorder = await grpcRecorder(gateway);
      return { recorder, agentStats: () => gateway.agentStats(), close: async () => void (await Promise.all([recorder.close(), gateway.close()])) };
    },
  },
];

/** Each connection's utterances as [appends...] (which scenario it ran) with their spans. */
function byScenario(connections: Sent[]): Map<string, Array<{ appends: number; spanMs: number }>> {
  return new Map(connections.map((sent) => [utterances(sent).map((u) => u.appends).join("+"), utterances(sent)]));
}

function ttfaOf(report: Report, type: string): number {
  const ttfa = report.by_type[type]?.latency["ttfa"];
  assert.ok(ttfa && ttfa.count === 1, `${type}: one TTFA`);
  return ttfa.p50;
}

for (const transport of TRANSPORTS) {
  describe(`--speech-pacing over ${transport.protocol}`, () => {
    let target: Awaited<ReturnType<Transport["start"]>>;
    before(async () => {
      target = await transport.start();
    });
    after(() => target.close());

    async function run(flags: RawRunFlags): Promise<Report> {
      target.recorder.connections.length = 0;
      const config = resolveRunConfig({ protocol: transport.protocol, target: target.recorder.url, ...EVERY_SCENARIO, ...flags }, {});
      const { result, machine } = await watched(() => runLoadTest({ config }));
      lastMachine = machine;
      const { report, exitCode } = result;
      assert.equal(exitCode, 0);
      assert.deepEqual(report.errors, {});
      assert.equal(report.summary.successful, 4);
      return report;
    }

    it("realtime: every utterance of every scenario takes as long to send as to say, TTFA counts from its last append", async () => {
      const before = target.agentStats();
      const report = await run({ speechPacing: "realtime" });
      const tolerance = slack();
      const seen = byScenario(target.recorder.connections);
      // simple query, tool call, interruption (query + interrupting query), false alarm (query + noise and silence).
      const expected = new Map([
        [`${APPENDS.query}`, [APPENDS.query]],
        [`${APPENDS.tool_query}`, [APPENDS.tool_query]],
        [`${APPENDS.query}+${APPENDS.interrupting_query}`, [APPENDS.query, APPENDS.interrupting_query]],
        [`${APPENDS.query}+${APPENDS.noise_and_silence}`, [APPENDS.query, APPENDS.noise_and_silence]],
      ]);
      assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort());
      for (const runs of seen.values()) {
        for (const { appends, spanMs } of runs) {
          // First to last of n appends of 100 ms: (n - 1) x 100 ms.
          const due = (appends - 1) * 100;
          assert.ok(spanMs >= due - tolerance.earlyMs && spanMs <= due + tolerance.spanMs, `${appends} appends went out over ${spanMs.toFixed(1)} ms (due ${due})`);
        }
      }
      for (const type of ["simple_query", "interruption", "false_alarm"]) {
        const ttfa = ttfaOf(report, type);
        assert.ok(ttfa >= TTFA_MS - 1 && ttfa <= TTFA_MS + tolerance.ttfaMs, `${type} ttfa ${ttfa} (emulator: ${TTFA_MS})`);
      }
      const toolTtfa = ttfaOf(report, "tool_call");
      const toolDue = TTFA_MS + VOICE.toolCallMs;
      assert.ok(toolTtfa >= toolDue - 1 && toolTtfa <= toolDue + 2 * tolerance.ttfaMs, `tool_call ttfa ${toolTtfa} (emulator: ${toolDue})`);
      // The agent heard the paced speech as it should: one barge-in, one false alarm, resumed only
      // after the silence that followed the noise was heard in real time (server VAD: 500 ms).
      const after = target.agentStats();
      assert.equal(after.interruptions - before.interruptions, 1);
      assert.equal(after.falseAlarms - before.falseAlarms, 1);
      const resume = report.latency["resume"]!;
      assert.ok(resume.count === 1 && resume.min >= 495, `resume ${resume.min} ms after the noise: the silence was paced`);
      assert.equal(report.summary.false_alarm_resume_rate, 1);
      // How late the appends went out, per request, and the pacing in the report's config.
      const lag = report.latency["speech_lag"]!;
      assert.equal(lag.count, 4);
      assert.ok(lag.max >= 0 && lag.max < 1000 + tolerance.lagMs, `speech_lag ${JSON.stringify(lag)}`);
      assert.equal((report.config["voice"] as { speechPacing: string }).speechPacing, "realtime");
    });

    it("burst (the default): each utterance goes out at once, TTFA unchanged, no send lag", async () => {
      const report = await run({});
      for (const runs of byScenario(target.recorder.connections).values()) {
        for (const { appends, spanMs } of runs) assert.ok(spanMs < 50 + slack().spanMs, `${appends} appends over ${spanMs.toFixed(1)} ms in burst`);
      }
      const ttfa = ttfaOf(report, "simple_query");
      assert.ok(ttfa >= TTFA_MS - 1 && ttfa <= TTFA_MS + slack().ttfaMs, `simple_query ttfa ${ttfa}`);
      assert.equal(report.latency["speech_lag"]?.count ?? 0, 0);
      assert.equal((report.config["voice"] as { speechPacing: string }).speechPacing, "burst");
      assert.ok(report.latency["resume"]!.max < 400 + slack().ttfaMs, "burst: the silence after the noise arrives at once");
    });

    it("realtime with client turn detection: the client cancels, and drops its own paced noise", async () => {
      const report = await run({ speechPacing: "realtime", turnDetection: "client" });
      const noise = [...byScenario(target.recorder.connections).entries()].find(([key]) => key === `${APPENDS.query}+${APPENDS.noise}`);
      assert.ok(noise, `the false alarm's noise alone: ${[...byScenario(target.recorder.connections).keys()].join(", ")}`);
      const span = noise[1][1]!.spanMs;
      assert.ok(span >= 200 - slack().earlyMs && span <= 200 + slack().spanMs, `noise over ${span.toFixed(1)} ms`);
      assert.equal(report.latency["barge_in"]!.count, 1);
    });
  });
}
