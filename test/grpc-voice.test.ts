// grpc-voice (seed 002): the proto's wire mapping, the embedded gateway through the CLI, failure
// injection checked against the gateway's own counts, per-user channels, deadlines and status
// classes, a user's own compatible .proto, and the target forms. Real gateways on 127.0.0.1 only.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { fromScenario, loadTestConfig, runLoadTest, type LoadTestSettings } from "../src/api.js";
import { UsageError } from "../src/errors.js";
import { DEFAULT_PROTO_PATH, loadVoiceService } from "../src/protocols/grpc-voice/proto.js";
import { startGrpcGateway, type RunningGrpcGateway } from "../src/protocols/grpc-voice/server.js";
import { clientEventFromWire, clientEventToWire, serverEventFromWire, serverEventToWire, speechEndToWire, type WireEvent } from "../src/protocols/grpc-voice/wire.js";
import type { Report } from "../src/report/types.js";
import type { VoiceAgentOptions, VoiceClientEvent, VoiceServerEvent } from "../src/voice/types.js";
import { runCli, startCli, tempDir } from "./helpers/cli.js";
import { freePort } from "../src/cluster/processes.js";

/** Short answers paced 4x faster than real time: a conversation takes well under 100 ms. */
const FAST_VOICE: Partial<VoiceAgentOptions> = { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 200, chunkMs: 20, pace: 4, toolCallMs: 5 };
const FAST_VOICE_FLAGS = ["--voice-stt-ms", "5", "--voice-llm-ms", "5", "--voice-tts-ms", "5", "--voice-audio-ms", "200", "--voice-pace", "4"];
/** Simple queries and tool calls only: their outcome does not depend on where an interruption lands. */
const NO_BARGE_IN = { simple: "0.5", tools: "0.5", interruptions: "0", falseAlarms: "0" };

async function run(settings: LoadTestSettings): Promise<Report> {
  const { report } = await runLoadTest(loadTestConfig({ protocol: "grpc-voice", ...settings, flags: { ...NO_BARGE_IN, ...settings.flags } }));
  return report;
}

describe("wire mapping", () => {
  const service = loadVoiceService();
  const method = service.definition[service.methodName]!;
  /** Through real protobuf bytes, as the other side would decode them. */
  const viaClientBytes = (message: WireEvent): WireEvent => method.requestDeserialize(method.requestSerialize(message)) as WireEvent;
  const viaServerBytes = (message: WireEvent): WireEvent => method.responseDeserialize(method.responseSerialize(message)) as WireEvent;

  test("client events survive the proto, commit + response.create travel as one speech_end", () => {
    const audio = new Int16Array([1, -2, 32767, -32768, 0]);
    const events: VoiceClientEvent[] = [
      { type: "session.update", session: { inputSampleRate: 16000, turnDetection: null, tools: [{ name: "lookup", parameters: { type: "object" } }], minInterruptionMs: 300 } },
      { type: "audio.append", audio },
      { type: "audio.clear" },
      { type: "response.cancel" },
      { type: "truncate", itemId: "item_1", audioEndMs: 420 },
    ];
    const decoded = events.flatMap((event) => clientEventFromWire(viaClientBytes(clientEventToWire(event)!)));
    assert.deepEqual(decoded[0], events[0]);
    assert.deepEqual(Array.from((decoded[1] as { audio: Int16Array }).audio), Array.from(audio));
    assert.deepEqual(decoded.slice(2), events.slice(2));
    assert.deepEqual(clientEventFromWire(viaClientBytes(speechEndToWire("required"))), [{ type: "audio.commit" }, { type: "response.create", toolChoice: "required" }]);
    assert.deepEqual(clientEventFromWire(viaClientBytes(clientEventToWire({ type: "tool.output", callId: "call_1", output: "{}" })!)), [
      { type: "tool.output", callId: "call_1", output: "{}" },
      { type: "response.create" },
    ]);
    assert.equal(clientEventToWire({ type: "response.create" }), null);
  });

  test("server events survive the proto", () => {
    const events: VoiceServerEvent[] = [
      { type: "response.created", responseId: "resp_1" },
      { type: "audio.delta", responseId: "resp_1", itemId: "item_2", audio: new Int16Array([5, 6, 7]) },
      { type: "transcript.delta", responseId: "resp_1", itemId: "item_2", delta: " hello" },
      { type: "function_call.arguments.done", responseId: "resp_1", itemId: "item_2", callId: "call_3", name: "lookup", arguments: '{"q":1}' },
      { type: "response.done", responseId: "resp_1", status: "cancelled", reason: "turn_detected" },
      { type: "speech.started", itemId: "item_4", audioStartMs: 300 },
      { type: "audio.committed", itemId: "item_4" },
      { type: "audio.cleared" },
      { type: "error", code: "unknown_call_id", message: "no such call" },
    ];
    const decoded = events.map((event) => serverEventFromWire(viaServerBytes(serverEventToWire(event))));
    assert.deepEqual(Array.from((decoded[1] as { audio: Int16Array }).audio), [5, 6, 7]);
    assert.deepEqual(decoded.filter((_, i) => i !== 1), events.filter((_, i) => i !== 1));
  });
});

describe("against an in-process gateway", () => {
  let gateway: RunningGrpcGateway;
  before(async () => {
    gateway = await startGrpcGateway({ port: 0, unavailableRate: 0.3, voice: { ...FAST_VOICE, seed: 11 } });
  });
  after(() => gateway.close());

  test("30% UNAVAILABLE: classified, and the success rate matches the gateway's own refusals", async () => {
    const report = await run({ target: gateway.url, clients: 4, cycles: 10, seed: 3 });
    const stats = gateway.stats();
    const { summary } = report;
    assert.equal(summary.requests, 40);
    assert.equal(stats.calls, 40, "one Converse call per request");
    assert.ok(stats.refused >= 4 && stats.refused <= 20, `refused ${stats.refused} of 40 at 30%`);
    assert.deepEqual(report.errors, { grpc_unavailable: stats.refused });
    assert.equal(summary.failed, stats.refused);
    assert.equal(summary.successful, 40 - stats.refused);
    assert.equal(summary.success_rate, Math.round(((40 - stats.refused) / 40) * 1e4) / 1e4);
    assert.ok(report.latency["ttfa"]!.count > 0);
    // Every virtual user in flight had its own connection: no shared subchannel.
    assert.ok(stats.connections >= 4, `client connections seen: ${stats.connections}`);
    assert.equal(report.assessment?.verdict, "warning");
    assert.equal(report.assessment?.checks.find((c) => c.name === "error_rate")?.status, "warning");
  });
});

describe("failures are classified", () => {
  let slow: RunningGrpcGateway;
  let fast: RunningGrpcGateway;
  before(async () => {
    slow = await startGrpcGateway({ port: 0, voice: { ...FAST_VOICE, responseAudioMs: 5000, pace: 1, seed: 1 } });
    fast = await startGrpcGateway({ port: 0, voice: { ...FAST_VOICE, seed: 2 } });
  });
  after(() => Promise.all([slow.close(), fast.close()]));

  test("the call deadline (--timeout) is timeout", async () => {
    const report = await run({ target: slow.url, clients: 1, cycles: 2, timeoutS: 0.4, flags: { simple: "1", tools: "0" } });
    assert.deepEqual(report.errors, { timeout: 2 });
  });

  test("nothing listening is refused", async () => {
    const report = await run({ target: `127.0.0.1:${await freePort("127.0.0.1")}`, clients: 2, cycles: 1 });
    assert.deepEqual(report.errors, { refused: 2 });
    assert.equal(report.connections.failed, 2);
  });

  test("a status the gateway ends the call with is grpc_<status>; a dropped connection is stream_aborted", async () => {
    const exhausted = await run({ target: fast.url, clients: 2, cycles: 1, headers: { "x-tokenstorm-fail": "resource_exhausted" } });
    assert.deepEqual(exhausted.errors, { grpc_resource_exhausted: 2 });
    const dropped = await run({ target: fast.url, clients: 2, cycles: 1, headers: { "x-tokenstorm-fail": "disconnect" }, flags: { simple: "1", tools: "0" } });
    assert.deepEqual(dropped.errors, { stream_aborted: 2 });
  });
});

describe("--proto / --service: your own compatible gateway", () => {
  let gateway: RunningGrpcGateway;
  let protoPath: string;
  before(async () => {
    protoPath = join(tempDir(), "acme.proto");
    const ours = readFileSync(DEFAULT_PROTO_PATH, "utf8");
    writeFileSync(protoPath, ours.replace("package tokenstorm.voice.v1;", "package acme.voice;").replace("service VoiceGateway {", "service Gateway {").replace("rpc Converse(", "rpc Talk("));
    gateway = await startGrpcGateway({ port: 0, source: { protoPath, service: "acme.voice.Gateway" }, voice: { ...FAST_VOICE, seed: 4 } });
  });
  after(() => gateway.close());

  test("conversations run over the user's service and method", async () => {
    const report = await run({ target: gateway.url, clients: 2, cycles: 2, proto: protoPath, service: "acme.voice.Gateway" });
    assert.equal(report.summary.successful, 4, JSON.stringify(report.errors));
    // The last half-close may still be on its way: count the calls the gateway answered.
    assert.equal(gateway.stats().calls, 4);
    assert.equal(gateway.stats().refused, 0);
  });

  test("a wrong file or service is one usage line naming the flag", () => {
    const settings = { protocol: "grpc-voice", target: gateway.url };
    assert.throws(() => loadTestConfig({ ...settings, proto: protoPath, service: "acme.voice.Nope" }), (err: Error) => err instanceof UsageError && /--service: no service "acme\.voice\.Nope" in .*\(services: acme\.voice\.Gateway\)/.test(err.message));
    assert.throws(() => loadTestConfig({ ...settings, proto: join(tempDir(), "missing.proto") }), /--proto .*missing\.proto: no such file/);
    assert.throws(() => loadTestConfig({ protocol: "openai-chat", proto: protoPath }), /--proto applies to --protocol grpc-voice only/);
  });
});

test("grpc-voice targets: host:port, grpc:// and grpcs://, port 50051 by default", () => {
  const target = (raw: string): string | null => loadTestConfig({ protocol: "grpc-voice", target: raw }).target;
  assert.equal(target("localhost:50051"), "grpc://localhost:50051");
  assert.equal(target("gateway.internal"), "grpc://gateway.internal:50051");
  assert.equal(target("grpcs://voice.example.com:443"), "grpcs://voice.example.com:443");
  assert.throws(() => target("http://localhost:50051"), /--target for grpc-voice must be host:port, grpc:\/\/host:port or grpcs:\/\/host:port/);
  assert.equal(fromScenario("medium", { protocol: "grpc-voice", target: "localhost:50051" }).stages?.users, 20);
});

test("seed 002's --output / --output-raw are --out / --raw; giving both names two values is a usage error", () => {
  const config = loadTestConfig({ protocol: "grpc-voice", flags: { output: "report.json", outputRaw: "raw.ndjson", debug: true } });
  assert.deepEqual([config.out, config.raw, config.verbose, config.debug], ["report.json", "raw.ndjson", true, true]);
  assert.throws(() => loadTestConfig({ flags: { out: "a.json", output: "b.json" } }), /--out and --output are the same setting: give one of them/);
});

test("run --protocol grpc-voice --scenario baseline --duration 5 with no target: embedded gateway, 100% success, TTFA and e2e", async () => {
  const dir = tempDir();
  const args = ["run", "--protocol", "grpc-voice", "--scenario", "baseline", "--duration", "5"];
  const result = await runCli([...args, "--output", "report.json", "--output-raw", "raw.ndjson", "--debug", "--no-save", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
  assert.equal(report.config["embedded_emulator"], true);
  assert.match(String(report.config["target"]), /^grpc:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(report.summary.requests >= 1);
  assert.equal(report.summary.success_rate, 1);
  for (const metric of ["ttfa", "e2e"]) assert.ok((report.latency[metric]?.p95 ?? 0) > 0, `${metric}.p95`);
  assert.equal(report.assessment?.verdict, "good");
  assert.match(result.stdout, /ASSESSMENT \(seed 002 criteria, e2e\): GOOD/);
  assert.match(result.stdout, /TTFA/);
  // --output-raw: one line per request; --debug: the same requests on stderr as they finish.
  const raw = readFileSync(join(dir, "raw.ndjson"), "utf8").trim().split("\n");
  assert.equal(raw.length, report.summary.requests);
  assert.equal((result.stderr.match(/^\[client 0\] request \d+ \w+ ok ttft=[\d.]+ms .*ttfa=/gm) ?? []).length, report.summary.requests, result.stderr);
});

describe("tokenstorm emulate --grpc-port with --grpc-unavailable-rate", () => {
  let emulator: ChildProcess;
  let httpUrl: string;
  let grpcUrl: string;
  before(async () => {
    emulator = startCli(["emulate", "--port", "0", "--grpc-port", "0", "--grpc-unavailable-rate", "0.3", "--seed", "5", ...FAST_VOICE_FLAGS]);
    [httpUrl, grpcUrl] = await new Promise<[string, string]>((resolve, reject) => {
      let out = "";
      emulator.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const http = /emulator listening on (http:\/\/\S+)/.exec(out);
        const grpc = /voice gateway \(gRPC\) listening on (grpc:\/\/\S+)/.exec(out);
        if (http && grpc) resolve([http[1]!, grpc[1]!]);
      });
      emulator.once("exit", (code) => reject(new Error(`emulate exited with ${code}`)));
    });
  });
  after(() => {
    emulator.kill("SIGTERM");
  });

  test("the run's refused calls are grpc_unavailable and the success rate follows", async () => {
    const dir = tempDir();
    const args = ["run", "--target", grpcUrl, "--protocol", "grpc-voice", "--clients", "3", "--cycles", "8", "--simple", "1", "--tools", "0", "--interruptions", "0", "--false-alarms", "0"];
    const result = await runCli([...args, "--out", "report.json", "--no-save", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
    // The gateway's own count, from the emulator's /stats.
    const stats = (await (await fetch(`${httpUrl}/stats`)).json()) as { grpc: { calls: number; refused: number } };
    assert.equal(stats.grpc.calls, 24);
    const refused = stats.grpc.refused;
    assert.ok(refused > 0 && refused < 24, `refused ${refused} of 24`);
    assert.deepEqual(report.errors, { grpc_unavailable: refused });
    assert.equal(report.summary.failed, refused);
    assert.equal(report.summary.success_rate, Math.round(((24 - refused) / 24) * 1e4) / 1e4);
  });
});
