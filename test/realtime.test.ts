// `tokenstorm run --protocol realtime` end to end (seed 003): the scenario mix in its exact seeded
// proportions, every voice metric in JSON / CSV / console, the server's own view of interruptions
// and false alarms, named targets, and bad flags. The TTFA it measures: test/timing/voice-timing.test.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { realtimeUrl } from "../src/protocols/realtime/client.js";
import { decodeServerEvent } from "../src/protocols/realtime/wire.js";
import type { Report } from "../src/report/types.js";
import { Problems } from "../src/config/values.js";
import { apportion, DEFAULT_WEIGHTS, scenarioPlanner } from "../src/voice/plan.js";
import { withSeed003Names } from "../src/voice/run-options.js";
import { runCli, tempDir } from "./helpers/cli.js";

/** Short, fast answers: TTFA 80 ms, 6 s of audio sent 10x faster than real time (0.6 s: room to interrupt under load). */
const FAST = ["--voice-stt-ms", "20", "--voice-llm-ms", "40", "--voice-tts-ms", "20", "--voice-audio-ms", "6000", "--voice-pace", "10"];
const WEIGHT_FLAGS = { "--simple": "simple", "--tools": "tools", "--interruptions": "interruptions", "--false-alarms": "falseAlarms" } as const;
type WeightFlag = keyof typeof WEIGHT_FLAGS;
/** Weight 1 for one scenario and 0 for the others, as run flags (camelCase keys). */
const ONLY = (scenario: WeightFlag): RawRunFlags =>
  Object.fromEntries(Object.entries(WEIGHT_FLAGS).map(([flag, key]) => [key, flag === scenario ? "1" : "0"]));
/** The same as command-line arguments. */
const onlyArgs = (scenario: WeightFlag, weight = "1"): string[] => Object.keys(WEIGHT_FLAGS).flatMap((flag) => [flag, flag === scenario ? weight : "0"]);

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
}

describe("realtime run against the embedded voice emulator (seed 003 acceptance)", () => {
  const dir = tempDir();
  let stdout = "";
  let code: number | null = null;

  before(async () => {
    const args = ["run", "--protocol", "realtime", "--clients", "10", "--requests", "5", "--seed", "7", "--targets", "under-load", "--out", join(dir, "report.json"), "--csv", join(dir, "requests.csv"), "--no-save", "--quiet", ...FAST];
    const result = await runCli(args, { timeoutMs: 120_000 });
    stdout = result.stdout;
    code = result.code;
    assert.equal(code, 0, result.stderr);
  });

  it("runs 10 sessions x 5 turns in seed 003's proportions, all successful", () => {
    const report = readReport(dir);
    assert.equal(report.summary.requests, 50);
    assert.equal(report.summary.success_rate, 1);
    const counts = Object.fromEntries(Object.entries(report.by_type).map(([type, b]) => [type, b.summary.requests]));
    assert.deepEqual(counts, { simple_query: 30, tool_call: 10, interruption: 5, false_alarm: 5 });
    assert.equal(report.connections.opened, 10, "one connection per session");
  });

  it("reports every voice metric with min/mean/median/p95/p99/max, and the outcome rates", () => {
    const report = readReport(dir);
    for (const metric of ["connect", "ttfa", "response_total", "barge_in", "recovery", "resume", "tool_call"]) {
      const summary = report.latency[metric];
      assert.ok(summary && summary.count > 0, `${metric} present`);
      for (const stat of ["min", "mean", "p50", "p95", "p99", "max"] as const) assert.ok(Number.isFinite(summary[stat]), `${metric}.${stat}`);
    }
    assert.equal(report.latency["ttfa"]!.count, 50);
    assert.equal(report.latency["barge_in"]!.count, 5);
    assert.equal(report.latency["tool_call"]!.count, 10);
    // Never below the emulator's STT + LLM + TTS; how close to it is the timing suite's (test/timing/voice-timing.test.ts).
    assert.ok(report.latency["ttfa"]!.min >= 79, `ttfa ${JSON.stringify(report.latency["ttfa"])}`);
    assert.equal(report.summary.false_alarm_resume_rate, 1);
    assert.equal(report.summary.tool_call_success_rate, 1);
    assert.deepEqual(report.summary.outcomes, { false_alarm_resume_rate: { attempts: 5, succeeded: 5 }, tool_call_success_rate: { attempts: 10, succeeded: 10 } });
    assert.deepEqual(
      report.thresholds.map((t) => [t.expression, t.ok]),
      [["ttfa.mean<2500ms", true], ["ttfa.p95<4s", true], ["response_total.mean<8s", true], ["success_rate>0.95", true]],
    );
  });

  it("deals the scenarios by (client, cycle) from the seed, so a rerun asks the same", () => {
    const lines = readFileSync(join(dir, "requests.csv"), "utf8").trim().split("\n");
    const header = lines[0]!.split(",");
    for (const column of ["ttfa_ms", "response_total_ms", "barge_in_ms", "recovery_ms", "resume_ms", "tool_call_ms"]) assert.ok(header.includes(column), column);
    assert.equal(lines.length, 51);
    const planner = scenarioPlanner(DEFAULT_WEIGHTS, 7, 10, 5);
    const [type, client, cycle, ttfa] = ["type", "client", "cycle", "ttfa_ms"].map((c) => header.indexOf(c));
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      assert.equal(cells[type!], planner.scenarioFor(Number(cells[client!]), Number(cells[cycle!])));
      assert.ok(Number(cells[ttfa!]) > 0);
    }
  });

  it("prints seed 003's report layout", () => {
    for (const heading of ["📊 SUMMARY", "📋 REQUEST TYPES", "🔌 CONNECTION LATENCY", "⚡ TIME TO FIRST AUDIO (TTFA)", "🏁 TOTAL RESPONSE TIME", "🚨 BARGE-IN LATENCY", "🔁 RECOVERY TIME", "🎭 FALSE-ALARM RESUME", "🔧 TOOL CALLS"]) {
      assert.ok(stdout.includes(heading), heading);
    }
    assert.match(stdout, /simple_query: 30 \(60\.0%\)/);
    assert.match(stdout, /Resume rate: 100\.0% \(5\/5\)/);
    assert.match(stdout, /Success rate: 100\.0% \(10\/10\)/);
    assert.match(stdout, /Median: +\d+\.\dms {2}\(\d\.\d{3}s\)/);
  });
});

describe("realtime timing and the agent's side of the conversation", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startEmulator({ port: 0, seed: 11, warmUp: false, voice: { sttMs: 20, llmFirstTokenMs: 40, ttsFirstAudioMs: 20, responseAudioMs: 6000, pace: 20 } });
  });
  after(async () => {
    await emulator.close();
  });

  /** A run in this process against the emulator above; returns the report and the agent's counters for it. */
  async function runAgainst(flags: RawRunFlags): Promise<{ report: Report; counts: ReturnType<RunningEmulator["stats"]>["voice"] }> {
    emulator.resetStats();
    const config = resolveRunConfig({ protocol: "realtime", target: emulator.url, clients: "2", requests: "2", seed: "3", quiet: true, ...flags }, {});
    const { report, exitCode } = await runLoadTest({ config });
    assert.equal(exitCode, 0);
    return { report, counts: emulator.stats().voice };
  }

  it("interruptions: the agent cancels every interrupted response (server VAD) and answers the new query", async () => {
    const { report, counts } = await runAgainst(ONLY("--interruptions"));
    assert.equal(report.summary.successful, 4);
    assert.deepEqual(counts.responses, { completed: 4, cancelled: 4, failed: 0 });
    assert.equal(counts.interruptions, 4);
    assert.equal(counts.falseAlarms, 0);
  });

  it("false alarms: the agent resumes and completes every response, cancelling none", async () => {
    const { report, counts } = await runAgainst(ONLY("--false-alarms"));
    assert.equal(report.summary.false_alarm_resume_rate, 1);
    assert.deepEqual(counts.responses, { completed: 4, cancelled: 0, failed: 0 });
    assert.equal(counts.falseAlarms, 4);
  });

  it("client turn detection: the client cancels interruptions itself (response.cancel)", async () => {
    const { report, counts } = await runAgainst({ turnDetection: "client", ...ONLY("--interruptions") });
    assert.equal(report.summary.successful, 4);
    assert.deepEqual(counts.responses, { completed: 4, cancelled: 4, failed: 0 });
    assert.equal(report.latency["barge_in"]!.count, 4);
  });

  it("a session whose socket is dropped mid-response is classified, and the run goes on", async () => {
    const dropping = await startEmulator({ port: 0, seed: 5, warmUp: false, disconnectRate: 1, voice: { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 2000, pace: 20 } });
    try {
      const config = resolveRunConfig({ protocol: "realtime", target: dropping.url, clients: "2", requests: "2", seed: "3", quiet: true }, {});
      const { report, exitCode } = await runLoadTest({ config });
      assert.equal(exitCode, 0);
      assert.equal(report.summary.requests, 4);
      assert.deepEqual(report.errors, { stream_aborted: 4 });
      assert.equal(dropping.stats().voice.drops, 4);
      assert.equal(report.connections.opened, 4, "every request after a drop dials again");
    } finally {
      await dropping.close();
    }
  });
});

describe("realtime on an emulator that loads its WebSocket server on demand", () => {
  it("serves sessions all the same, from the first upgrade on (the embedded emulator of an HTTP run)", async () => {
    const lazy = await startEmulator({ port: 0, seed: 5, warmUp: false, realtimeOnDemand: true, voice: { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 500, pace: 20 } });
    try {
      const config = resolveRunConfig({ protocol: "realtime", target: lazy.url, clients: "2", requests: "2", seed: "3", quiet: true }, {});
      const { report, exitCode } = await runLoadTest({ config });
      assert.equal(exitCode, 0);
      assert.equal(report.summary.successful, 4);
      assert.deepEqual(report.errors, {});
    } finally {
      await lazy.close();
    }
  });
});

describe("realtime flags and wire", () => {
  it("rejects bad voice flags in one line with exit 2", async () => {
    const result = await runCli(["run", "--protocol", "realtime", "--simple", "2", "--targets", "nope", "--voice-pace", "0", "--no-save"]);
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /--simple must be a number between 0 and 1 \(got "2"\)/);
    assert.match(lines[0]!, /--targets: unknown target set "nope" \(known: low-load, under-load\)/);
    assert.match(lines[0]!, /--voice-pace must be a number > 0/);
    const misplaced = await runCli(["run", "--simple", "0.5", "--no-save"]);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--simple: for voice protocols \(realtime, grpc-voice\), not openai-chat/);
    const allZero = await runCli(["run", "--protocol", "realtime", ...onlyArgs("--simple", "0"), "--no-save"]);
    assert.equal(allZero.code, 2);
    assert.match(allZero.stderr, /cannot all be 0/);
  });

  it("takes seed 003's --concurrency and --server as --clients and --target", () => {
    const problems = new Problems();
    const config = resolveRunConfig({ protocol: "realtime", concurrency: "3", server: "ws://localhost:8000/ws", requests: "2" }, {});
    assert.deepEqual([config.clients, config.target, config.cycles, config.requests], [3, "ws://localhost:8000/ws", 2, 6]);
    withSeed003Names({ clients: "4", concurrency: "3" }, problems);
    assert.deepEqual(problems.lines, ["--clients and --concurrency are the same setting: give one of them"]);
  });

  it("apportions scenarios exactly and maps targets to WebSocket URLs", () => {
    assert.deepEqual(apportion(DEFAULT_WEIGHTS, 50), { simple_query: 30, tool_call: 10, interruption: 5, false_alarm: 5 });
    assert.deepEqual(apportion(DEFAULT_WEIGHTS, 12), { simple_query: 7, tool_call: 3, interruption: 1, false_alarm: 1 });
    assert.equal(realtimeUrl(new URL("http://127.0.0.1:8000"), "m").href, "ws://127.0.0.1:8000/v1/realtime?model=m");
    assert.equal(realtimeUrl(new URL("https://voice.example/ws"), "m").href, "wss://voice.example/ws");
    assert.equal(realtimeUrl(new URL("ws://localhost:8000/ws"), "m").href, "ws://localhost:8000/ws");
  });

  it("decodes the beta event names and unknown events of real servers", () => {
    const delta = decodeServerEvent('{"type":"response.audio.delta","response_id":"r1","item_id":"i1","delta":"AAABAA=="}');
    assert.deepEqual(delta && delta.type === "audio.delta" ? Array.from(delta.audio) : null, [0, 1]);
    assert.equal(decodeServerEvent('{"type":"rate_limits.updated","rate_limits":[]}'), null);
    const done = decodeServerEvent('{"type":"response.done","response":{"id":"r1","status":"incomplete"}}');
    assert.deepEqual(done, { type: "response.done", responseId: "r1", status: "failed" });
  });
});
