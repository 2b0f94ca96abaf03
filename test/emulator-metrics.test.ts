// The emulator's own /metrics beyond the per-request vLLM histograms: the per-token inter-token
// latency as the wheel sent the tokens (vllm:inter_token_latency_seconds), and the voice agents'
// counters and time to first audio for both transports (realtime WebSocket, grpc-voice), which run in
// one emulator and report to the one registry /metrics serves. Checked against the client's reports of
// real runs over loopback, against the text format's rules, and by a real Prometheus scraping it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { runLoadTest } from "../src/engine/load-test.js";
import type { Report } from "../src/report/types.js";
import { startPrometheus, type RunningPrometheus } from "./helpers/prometheus.js";

const ITL_MS = 20;
const TOKENS_PER_STREAM = 15;
/** Answers as in the realtime tests: TTFA 80 ms, 6 s of audio at 10x (0.6 s: room to interrupt under load). */
const VOICE = { sttMs: 20, llmFirstTokenMs: 40, ttsFirstAudioMs: 20, responseAudioMs: 6000, pace: 10 };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/;
const NUMBER = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    assert.ok(match, `malformed labels in: ${line}`);
    assert.ok(!(match[1]! in labels), `label ${match[1]} twice in: ${line}`);
    labels[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** The family a sample belongs to: a histogram's _bucket/_sum/_count series are its family's. */
function familyOf(name: string, types: Map<string, string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && types.get(base) === "histogram" ? base : name;
}

/**
 * Parse the text exposition strictly: every line a HELP, a TYPE or a well-formed sample; every sample
 * of a declared family; a family's lines together; no sample twice.
 */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current = "";
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      assert.match(name!, NAME, line);
      if (kind === "TYPE") {
        assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(rest!), line);
        assert.ok(!types.has(name!), `second TYPE for ${name}`);
        types.set(name!, rest!);
      }
      if (name !== current) {
        assert.ok(!finished.has(name!), `family ${name} is split`);
        if (current) finished.add(current);
        current = name!;
      }
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `not a sample line: "${line}"`);
    const [, name, labelText, valueText] = match;
    assert.match(valueText!, NUMBER, line);
    const family = familyOf(name!, types);
    assert.ok(types.has(family), `${name} has no TYPE`);
    assert.equal(family, current, `${line}: outside its family's block`);
    assert.ok(!seen.has(`${name}{${labelText ?? ""}}`), `sample twice: ${line}`);
    seen.add(`${name}{${labelText ?? ""}}`);
    const value = Number(valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : valueText);
    samples.push({ name: name!, labels: parseLabels(labelText ?? "", line), value });
  }
  return { types, samples };
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** Every histogram: buckets in ascending `le` ending at +Inf, cumulative, and _count equal to the +Inf bucket. */
function checkHistograms(exposition: Exposition): number {
  let checked = 0;
  for (const [family, type] of exposition.types) {
    if (type !== "histogram") continue;
    const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
    for (const sample of exposition.samples) {
      if (familyOf(sample.name, exposition.types) !== family) continue;
      const { le, ...rest } = sample.labels;
      const entry = series.get(labelKey(rest)) ?? { buckets: [] };
      series.set(labelKey(rest), entry);
      if (sample.name === `${family}_bucket`) {
        assert.ok(le !== undefined, `${family}_bucket without le`);
        entry.buckets.push([le === "+Inf" ? Infinity : Number(le), sample.value]);
      } else if (sample.name === `${family}_count`) entry.count = sample.value;
      else if (sample.name === `${family}_sum`) entry.sum = sample.value;
      else assert.fail(`${sample.name} in histogram ${family}`);
    }
    for (const [key, { buckets, count, sum }] of series) {
      const where = `${family}${key}`;
      assert.ok(buckets.length > 1 && count !== undefined && sum !== undefined, `${where}: buckets, _sum and _count`);
      assert.equal(buckets.at(-1)![0], Infinity, `${where}: last bucket is +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i]![0] > buckets[i - 1]![0], `${where}: le ascending`);
        assert.ok(buckets[i]![1] >= buckets[i - 1]![1], `${where}: cumulative at le=${buckets[i]![0]}`);
      }
      assert.equal(count, buckets.at(-1)![1], `${where}: _count equals the +Inf bucket`);
      assert.ok(sum >= 0 && (count > 0 || sum === 0), `${where}: _sum ${sum}`);
      checked++;
    }
  }
  return checked;
}

/** The one sample of `name` whose labels include `labels`. */
function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

/** Cumulative count of a histogram's bucket `le` (as written, e.g. "0.01"). */
function bucket(exposition: Exposition, family: string, le: string, labels: Record<string, string> = {}): number {
  return valueOf(exposition, `${family}_bucket`, { ...labels, le });
}

describe("emulator /metrics: inter-token latency and voice agents", () => {
  let emulator: RunningEmulator;
  const reports: Partial<Record<"realtime" | "grpc-voice", Report>> = {};

  before(async () => {
    emulator = await startEmulator({ port: 0, grpcPort: 0, seed: 7, warmUp: false, ttftMs: 5, itlMs: ITL_MS, voice: VOICE });
  });
  after(async () => {
    await emulator.close();
  });

  const scrape = async (): Promise<Exposition> => parseExposition(await fetch(`${emulator.url}/metrics`).then((r) => r.text()));

  async function run(flags: RawRunFlags): Promise<Report> {
    const { report, exitCode } = await runLoadTest({ config: resolveRunConfig({ seed: "3", quiet: true, ...flags }, {}) });
    assert.equal(exitCode, 0);
    return report;
  }

  it("records one inter-token gap per token after each stream's first, around the configured gap", async () => {
    emulator.resetStats();
    const report = await run({ target: emulator.url, clients: "4", cycles: "3", length: String(TOKENS_PER_STREAM) });
    const { summary } = report;
    assert.equal(summary.successful, 12, JSON.stringify(report.errors));
    assert.equal(summary.tokens_total, 12 * TOKENS_PER_STREAM);

    const metrics = await scrape();
    const model = { model_name: "tokenstorm-emulator" };
    const tokens = valueOf(metrics, "vllm:generation_tokens_total", model);
    const streams = valueOf(metrics, "vllm:request_success_total", model);
    assert.deepEqual([tokens, streams], [summary.tokens_total, summary.successful], "the emulator served this run only");
    const family = "vllm:inter_token_latency_seconds";
    const count = valueOf(metrics, `${family}_count`, model);
    assert.equal(count, tokens - streams);
    // Each gap is 20 ms plus the wheel's error at its token minus the error at the one before (no
    // jitter, no slowdown), so the wheel's own lateness record bounds how far the gaps may stray.
    const lateness = emulator.stats().lateness;
    const around = bucket(metrics, family, "0.03", model) - bucket(metrics, family, "0.01", model);
    const where = `${around} of ${count} gaps in (10 ms, 30 ms]; wheel lateness ${JSON.stringify(lateness)}`;
    // With 99% of firings within 5 ms of their due time, at most 2% of the gaps can leave (10, 30] ms.
    // A machine that starved the emulator (other processes on its cores) still puts the median there.
    assert.ok(around >= (lateness.p99 < 5 ? 0.9 : 0.5) * count, where);
    // The schedule never drifts: per stream the gaps add up to (tokens - 1) x 20 ms plus the last
    // firing's error minus the first's.
    const meanMs = (valueOf(metrics, `${family}_sum`, model) / count) * 1000;
    const boundMs = (2 * lateness.max) / (TOKENS_PER_STREAM - 1) + 0.05;
    assert.ok(Math.abs(meanMs - ITL_MS) <= boundMs, `mean gap ${meanMs} ms (allowed ±${boundMs} ms); ${where}`);
    // TPOT stays per request, as before.
    assert.equal(valueOf(metrics, "vllm:time_per_output_token_seconds_count", model), streams);
  });

  /** What the voice counters of `transport` must read after `report`'s run, from the client's own counts. */
  async function checkVoiceCounters(transport: "realtime" | "grpc-voice", report: Report, sessions: number): Promise<void> {
    const { latency, summary } = report;
    const toolCalls = summary.outcomes?.tool_call_success_rate?.attempts ?? 0;
    const falseAlarms = summary.outcomes?.false_alarm_resume_rate?.succeeded ?? 0;
    const bargeIns = latency["barge_in"]?.count ?? 0;
    const answers = latency["response_total"]?.count ?? 0;
    assert.ok(toolCalls > 0 && falseAlarms > 0 && bargeIns > 0 && answers > 0, "every scenario ran");
    assert.equal(latency["tool_call"]?.count, toolCalls);

    const labels = { transport };
    let metrics = await scrape();
    // The client has closed its connections; the agents hear of it a moment later.
    for (let attempt = 0; attempt < 50 && valueOf(metrics, "tokenstorm_emulator_voice_sessions_active", labels) !== 0; attempt++) {
      await sleep(20);
      metrics = await scrape();
    }
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_sessions_active", labels), 0);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_sessions_total", labels), sessions);
    // Completed: every answer the client heard to its end, plus each function call (a response of its own).
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_responses_total", { ...labels, status: "completed" }), answers + toolCalls);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_responses_total", { ...labels, status: "cancelled" }), bargeIns);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_responses_total", { ...labels, status: "failed" }), 0);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_barge_ins_total", labels), bargeIns);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_false_alarms_total", labels), falseAlarms);
    assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_tool_calls_total", labels), toolCalls);
    for (const kind of ["error", "drop", "stall", "slow_start", "refused", "malformed"]) {
      assert.equal(valueOf(metrics, "tokenstorm_emulator_voice_failures_injected_total", { ...labels, kind }), 0, kind);
    }
    // First audio: every answer heard to its end, and every interrupted one (it had started speaking).
    const ttfa = "tokenstorm_emulator_voice_ttfa_seconds";
    assert.equal(valueOf(metrics, `${ttfa}_count`, labels), answers + bargeIns);
    // 80 ms after a user's turn (STT + LLM + TTS), 60 ms after a tool output (LLM + TTS): never under 50 ms.
    assert.equal(bucket(metrics, ttfa, "0.05", labels), 0);
    const meanMs = (valueOf(metrics, `${ttfa}_sum`, labels) / valueOf(metrics, `${ttfa}_count`, labels)) * 1000;
    assert.ok(meanMs >= 58 && meanMs < 300, `mean TTFA ${meanMs} ms`);
  }

  it("realtime: the agents' counters match the client's report of a mixed run", async () => {
    const report = await run({ protocol: "realtime", target: emulator.url, clients: "4", requests: "5" });
    reports.realtime = report;
    assert.equal(report.summary.success_rate, 1, JSON.stringify(report.errors));
    assert.deepEqual(Object.fromEntries(Object.entries(report.by_type).map(([type, b]) => [type, b.summary.requests])), { simple_query: 12, tool_call: 4, interruption: 2, false_alarm: 2 });
    await checkVoiceCounters("realtime", report, report.connections.opened);
  });

  it("grpc-voice: its agents report to the same /metrics, under their own transport label", async () => {
    const report = await run({ protocol: "grpc-voice", target: emulator.grpcUrl!, clients: "4", cycles: "5" });
    reports["grpc-voice"] = report;
    assert.equal(report.summary.success_rate, 1, JSON.stringify(report.errors));
    // One Converse call, one session, per request.
    await checkVoiceCounters("grpc-voice", report, report.summary.requests);
    // The realtime run's figures are still there beside them.
    await checkVoiceCounters("realtime", reports.realtime!, reports.realtime!.connections.opened);
  });

  it("the text exposition is well formed: sample lines, families together, cumulative buckets, _count = +Inf", async () => {
    const metrics = await scrape();
    const histograms = checkHistograms(metrics);
    // 6 vLLM-style histograms (TTFT, TPOT, ITL, e2e, queue, prefill), and TTFA for each of the two voice transports.
    assert.equal(histograms, 8);
    assert.deepEqual(new Set(metrics.samples.filter((s) => s.labels["transport"]).map((s) => s.labels["transport"])), new Set(["realtime", "grpc-voice"]));
  });

  it("counts injected failures by transport and kind, as the client saw them", async () => {
    const before = await scrape();
    const failures = (m: Exposition, transport: string, kind: string): number => valueOf(m, "tokenstorm_emulator_voice_failures_injected_total", { transport, kind });
    const only = { simple: "1", tools: "0", interruptions: "0", falseAlarms: "0" };
    const refused = await run({ protocol: "grpc-voice", target: emulator.grpcUrl!, clients: "2", cycles: "1", header: ["x-tokenstorm-fail: unavailable"], ...only });
    const dropped = await run({ protocol: "realtime", target: emulator.url, clients: "2", requests: "1", header: ["x-tokenstorm-fail: disconnect"], ...only });
    assert.deepEqual([refused.errors, dropped.errors], [{ grpc_unavailable: 2 }, { stream_aborted: 2 }]);
    const after = await scrape();
    assert.equal(failures(after, "grpc-voice", "refused") - failures(before, "grpc-voice", "refused"), 2);
    assert.equal(failures(after, "realtime", "drop") - failures(before, "realtime", "drop"), 2);
    assert.equal(failures(after, "realtime", "refused"), failures(before, "realtime", "refused"));
  });

  describe("scraped by a real Prometheus", () => {
    let prometheus: RunningPrometheus | undefined;
    before(async () => {
      prometheus = await startPrometheus({ emulator: [new URL(emulator.url).host] });
    });
    after(async () => {
      await prometheus?.stop();
    });

    it("stores the voice series per transport and the inter-token latency histogram", async () => {
      const metrics = await scrape();
      const expr = 'tokenstorm_emulator_voice_responses_total{status="completed"}';
      const deadline = Date.now() + 20_000;
      let stored = new Map<string, number>();
      while (stored.size < 2) {
        if (Date.now() > deadline) assert.fail(`Prometheus never stored ${expr}: ${JSON.stringify([...stored])}`);
        await sleep(250);
        stored = await prometheus!.query(expr, "transport");
      }
      for (const transport of ["realtime", "grpc-voice"]) {
        assert.equal(stored.get(transport), valueOf(metrics, "tokenstorm_emulator_voice_responses_total", { transport, status: "completed" }), transport);
      }
      // Nothing was rejected from the scrape: the whole exposition parsed.
      assert.equal((await prometheus!.query('up{job="emulator"}')).get(""), 1);
      const p50 = (await prometheus!.query("histogram_quantile(0.5, vllm:inter_token_latency_seconds_bucket)")).get("")!;
      assert.ok(p50 > 0.01 && p50 <= 0.03, `inter-token latency p50 ${p50} s`);
    });
  });
});
