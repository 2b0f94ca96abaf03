// A merged report is the report one process writes: for every protocol family that runs against an
// embedded emulator, the same seeded closed-model run as one process, as `run --workers 2`, and as two
// `--segment i/2` files put together by `tokenstorm merge` must hold the same blocks and fields, the
// same totals exactly, and the same prompt statistics. Every field allowed to differ is listed below
// with the reason; anything else that differs, or exists in one report only, fails the test.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig } from "../src/config/run-config.js";
import { segmentConfig } from "../src/distributed/segment.js";
import { assessReport } from "../src/report/assessment.js";
import type { PromptLengthStats, Report } from "../src/report/types.js";
import { runCli, tempDir, type CliResult } from "./helpers/cli.js";

/** Fields whose values legitimately differ between a single-process and a merged report, and why. */
const LEGIT_DIFFERENCES: Array<[pattern: RegExp, why: string]> = [
  [/^tokenstorm\.(started_at|finished_at)$/, "wall-clock times of different runs"],
  [/^merge\.started_at_unix_ms$/, "wall-clock time of each run's zero"],
  [/^config\.target$/, "each run starts its own embedded emulator on a free port"],
  [/^config\.out$/, "each run writes its own file"],
  [/^config\.distributed\.workers$/, "how the run was split is part of its config"],
  [/^(by_type\.[^.]+\.)?summary\.(duration_s|requests_per_sec|tokens_per_sec|cycles_per_sec|goodput_per_sec)$/, "rates over each run's own wall-clock span"],
  [/^(by_type\.[^.]+\.)?latency\.[^.]+\.(min|mean|stddev|p50|p90|p95|p99|p999|max)$/, "measured timings (their counts are compared)"],
  [/^latency\.connect\.count$|^connections\.opened$/, "every worker opens its own connections"],
  [/^histograms\.|^merge\.by_type\.[^.]+\.histograms\.|^merge\.timeline_histograms/, "encoded measured timings"],
  [/^timeline$/, "per-second points of timings; a merged run's last partial second lands in the nearest whole second"],
  [/^thresholds\.\d+\.actual$/, "the measured value a threshold was checked against"],
  [/^client\.(loop_delay_p99_ms|cpu_percent|cpu_percent_max|saturated)$|^client\.workers\./, "each process's own event-loop delay and CPU, measured (a merged report has them per worker)"],
  [/^emulator\.lateness\.|^emulator\.tokens_sent$/, "the emulator's timing error and tokens since it started: each run starts its own"],
  [/^assessment\.checks\.\d+\.(value|message)$/, "figures from measured timings"],
  // Checks 0, 2 and 3 (p95_latency, latency_vs_users, tail_latency) judge measured timings, the second
  // one on the per-second timeline; error_rate (1) must agree. The merged assessment is checked to be
  // seed 002's checks on the merged report itself below.
  [/^assessment\.(verdict|checks\.[023]\.status)$/, "verdicts on measured timings and the per-second timeline"],
  [/^merge\.prompts\.(chars|tokens)$/, "encoded histograms; the decoded figures are compared in `prompts`"],
  [/^prompts\.(chars|tokens)\.(mean|p50|p95)$/, "from merged histograms: compared within HDR precision below"],
];

/** Fields only a merged report has, and why. */
const MERGED_ONLY: Array<[pattern: RegExp, why: string]> = [
  [/^segments(\.|$)/, "which segments the merged report covers"],
  [/^client\.workers\.\d+\./, "each worker's own event-loop delay and CPU; a single process reports its own at the top of the block"],
  [/^merge\.timeline_histograms\./, "per-second histograms, so that the merged report can be merged again; a whole run's report leaves them out"],
];

/**
 * Fields a merge of segment files leaves out, and why. (`run --workers` reads its shared emulator's
 * /stats itself, so its report has them.)
 */
const SEGMENT_FILES_LEAVE_OUT: Array<[pattern: RegExp, why: string]> = [
  [/^emulator\./, "a segment does not read the emulator's /stats (it may share it with other segments, and the emulator counts from its own start): no one figure covers the run"],
];

/** Voice: the tokens of a response the client barges in on depend on when the barge-in lands. */
const VOICE_TIMED = /^(by_type\.interruption\.)?(summary\.tokens_total|latency\.itl\.count)$/;

type Flat = Map<string, unknown>;

/** Every leaf of the report by its dotted path; the timeline as one value (its points are timings). */
function flatten(value: unknown, path = "", out: Flat = new Map()): Flat {
  if (path === "timeline") {
    out.set(path, value);
  } else if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flatten(child, path === "" ? key : `${path}.${key}`, out);
  } else {
    out.set(path, value);
  }
  return out;
}

/** Every field of the two reports that differs without a listed reason. */
function unexplainedDifferences(single: Report, merged: Report, voice: boolean, fromFiles: boolean): string[] {
  const a = flatten(single);
  const b = flatten(merged);
  const problems: string[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (!b.has(path)) {
      if (!(fromFiles && SEGMENT_FILES_LEAVE_OUT.some(([pattern]) => pattern.test(path)))) problems.push(`${path}: only in the single-process report (${JSON.stringify(a.get(path))})`);
    }
    else if (!a.has(path)) {
      if (!MERGED_ONLY.some(([pattern]) => pattern.test(path))) problems.push(`${path}: only in the merged report (${JSON.stringify(b.get(path))})`);
    } else if (JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path))) {
      if (LEGIT_DIFFERENCES.some(([pattern]) => pattern.test(path))) continue;
      if (voice && VOICE_TIMED.test(path)) continue;
      problems.push(`${path}: ${JSON.stringify(a.get(path))} | ${JSON.stringify(b.get(path))}`);
    }
  }
  return problems;
}

/** Prompt statistics: counts and extremes exact, mean and percentiles within HDR precision (0.1%, then rounded). */
function assertSamePrompts(single: Report, merged: Report): void {
  assert.ok(single.prompts, "the single-process report has a prompts block");
  assert.ok(merged.prompts, "the merged report has a prompts block");
  assert.equal(merged.prompts.source, single.prompts.source);
  for (const key of ["chars", "tokens"] as const) {
    const one: PromptLengthStats | null = single.prompts[key];
    const all: PromptLengthStats | null = merged.prompts[key];
    if (one === null) {
      assert.equal(all, null, key);
      continue;
    }
    assert.ok(all, key);
    assert.deepEqual([all.count, all.min, all.max], [one.count, one.min, one.max], key);
    for (const stat of ["mean", "p50", "p95"] as const) {
      assert.ok(Math.abs(all[stat] - one[stat]) <= Math.max(1, one[stat] * 0.001), `${key}.${stat}: ${all[stat]} vs ${one[stat]}`);
    }
  }
}

function readReport(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

function ok(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stderr}`);
}

interface Family {
  name: string;
  args: string[];
  voice?: boolean;
  /** Checks of the family's own figures, on the single-process report. */
  check?(report: Report): void;
}

const DATASET_LINES = [
  { prompt: "Say hi.", type: "greeting", max_tokens: 3 },
  { prompt: "Explain, in a few words, why the sky looks blue during the day.", type: "question", max_tokens: 7 },
  { prompt: "Summarise the plot of a long novel about a whale and a captain who hunts it across the seas." },
];

const COMMON = ["--seed", "7", "--no-save", "--quiet"];

const FAMILIES: Family[] = [
  {
    name: "openai-chat",
    args: ["--clients", "5", "--cycles", "3", "--length", "12", "--delay", "0.002", "--prompts", "short,medium,long",
      "--goodput", "e2e:60000", "--threshold", "success_rate>=1", "--threshold", "ttft.p99<60s"],
    check: (report) => {
      assert.equal(report.summary.requests, 15);
      assert.deepEqual(Object.keys(report.by_type).sort(), ["long", "medium", "short"]);
      assert.equal(report.prompts!.chars!.count, 15);
      assert.equal(report.thresholds.length, 2);
    },
  },
  {
    // 3 clients over 2 segments: 8 and 4 requests of the budget of 12, not 6 and 6 (which issued 10).
    name: "openai-chat with a dataset and a request budget over unevenly split clients",
    args: ["--dataset", "DATASET", "--clients", "3", "--cycles", "4", "--requests", "12", "--length", "5", "--delay", "0.002"],
    check: (report) => {
      assert.equal(report.summary.requests, 12);
      // Every entry sent 4 times, whichever process sent it.
      assert.deepEqual(Object.fromEntries(Object.entries(report.by_type).map(([type, b]) => [type, b.summary.requests])), { dataset: 4, greeting: 4, question: 4 });
      assert.equal(report.by_type["question"]!.summary.tokens_total, 4 * 7);
    },
  },
  {
    name: "session",
    args: ["--protocol", "session", "--clients", "4", "--cycles", "3", "--length", "10", "--delay", "0.002", "--prompts", "short,long"],
    check: (report) => {
      assert.equal(report.summary.requests, 12);
      assert.ok(report.latency["delivery"]!.count > 0, "session delivery latency");
    },
  },
  {
    // Seed 003's --requests: 4 turns per session, a budget of 12 over 3 clients split 2 + 1.
    name: "realtime",
    voice: true,
    args: ["--protocol", "realtime", "--clients", "3", "--requests", "4", "--voice-pace", "10", "--threshold", "ttfa.p95<60s"],
    check: (report) => voiceChecks(report),
  },
  {
    name: "grpc-voice",
    voice: true,
    args: ["--protocol", "grpc-voice", "--clients", "3", "--requests", "4", "--voice-pace", "10", "--threshold", "e2e.p95<60s"],
    check: (report) => voiceChecks(report),
  },
];

/** The seeded mix of 12 turns at the default weights: 7 simple, 3 tool calls, 1 interruption, 1 false alarm. */
function voiceChecks(report: Report): void {
  assert.equal(report.summary.requests, 12);
  const mix = Object.fromEntries(Object.entries(report.by_type).map(([type, b]) => [type, b.summary.requests]));
  assert.deepEqual(mix, { simple_query: 7, tool_call: 3, interruption: 1, false_alarm: 1 });
  for (const metric of ["ttfa", "barge_in", "recovery", "resume", "tool_call"]) assert.ok(report.latency[metric]!.count > 0, metric);
  assert.ok(report.summary.outcomes?.false_alarm_resume_rate, "false-alarm outcomes");
  assert.ok(report.summary.outcomes?.tool_call_success_rate, "tool-call outcomes");
  assert.ok(report.assessment, "seed 002's assessment");
}

/** Tokens of a voice run outside the interrupted responses: exact. */
function uninterrupted(report: Report): { tokens: number; itl: number } {
  const interruption = report.by_type["interruption"];
  return {
    tokens: report.summary.tokens_total - (interruption?.summary.tokens_total ?? 0),
    itl: (report.latency["itl"]?.count ?? 0) - (interruption?.latency["itl"]?.count ?? 0),
  };
}

for (const family of FAMILIES) {
  describe(`merged reports are complete: ${family.name}`, () => {
    const cwd = tempDir();
    const path = (name: string): string => join(cwd, name);
    let single: Report;
    let workers: Report;
    let workersStdout = "";
    let merged: Report;
    let segments: Report[];

    before(async () => {
      writeFileSync(path("prompts.jsonl"), DATASET_LINES.map((line) => JSON.stringify(line)).join("\n"));
      const args = ["run", ...family.args.map((a) => (a === "DATASET" ? path("prompts.jsonl") : a)), ...COMMON];
      const options = { cwd, timeoutMs: 120_000 };
      // One after the other: voice outcomes need the machine's time, not a share of it.
      ok(await runCli([...args, "--out", "single.json"], options), "single process");
      const two = await runCli([...args, "--workers", "2", "--out", "workers.json"], options);
      ok(two, "--workers 2");
      workersStdout = two.stdout;
      const parts = await Promise.all([1, 2].map((i) => runCli([...args, "--segment", `${i}/2`, "--out", `segment-${i}.json`], options)));
      parts.forEach((part, i) => ok(part, `segment ${i + 1}/2`));
      ok(await runCli(["merge", "segment-1.json", "segment-2.json", "--out", "merged.json", "--quiet"], options), "merge");
      single = readReport(path("single.json"));
      workers = readReport(path("workers.json"));
      merged = readReport(path("merged.json"));
      segments = [1, 2].map((i) => readReport(path(`segment-${i}.json`)));
    });

    test("the single-process run is what the family exercises", () => {
      family.check?.(single);
    });

    for (const [label, get] of [["run --workers 2", () => workers], ["tokenstorm merge of two segment files", () => merged]] as const) {
      test(`${label}: the same blocks and fields, the same totals, the same prompt statistics`, () => {
        const other = get();
        assert.deepEqual(unexplainedDifferences(single, other, family.voice ?? false, label !== "run --workers 2"), []);
        assertSamePrompts(single, other);
        assert.deepEqual(other.segments, { count: 2, merged: ["1/2", "2/2"], missing: [] });
        // Thresholds re-evaluated on the merged figures: the same gates, the same verdicts.
        assert.deepEqual(other.thresholds.map((t) => [t.expression, t.ok]), single.thresholds.map((t) => [t.expression, t.ok]));
        if (family.voice) {
          assert.deepEqual(uninterrupted(other), uninterrupted(single));
          // Evaluated again on the merged figures, not taken from a segment.
          assert.deepEqual(other.assessment, assessReport(other));
        }
      });
    }

    test("each segment carries the whole run's load model and its prompt histograms in its merge data", () => {
      for (const segment of segments) {
        assert.equal(segment.merge!.run_load_model, single.config["load_model"]);
        assert.notEqual(segment.config["load_model"], single.config["load_model"], "a segment's config describes its share");
        assert.equal(segment.merge!.prompts!.source, single.prompts!.source);
        assert.equal(segment.emulator, undefined, "a segment does not read an emulator it may share with others");
      }
      // --workers: the controller reads the emulator the workers share, over the whole run.
      // (the field comparison above already requires the block wherever the single process has one)
      if (single.emulator && !family.voice) assert.equal(workers.emulator?.tokens_sent, single.emulator.tokens_sent, "the shared emulator sent the same tokens");
      if (!family.voice) assert.match(workersStdout, /PROMPTS \(/, "the console prints the merged PROMPTS section");
    });
  });
}

describe("segment files from before the new merge data", () => {
  test("still merge, without a prompts block and with the segment's load model, each said in a warning", async () => {
    const cwd = tempDir();
    const args = ["run", "--clients", "3", "--cycles", "2", "--length", "5", "--delay", "0.002", ...COMMON];
    const parts = await Promise.all([1, 2].map((i) => runCli([...args, "--segment", `${i}/2`, "--out", `segment-${i}.json`], { cwd })));
    parts.forEach((part, i) => ok(part, `segment ${i + 1}/2`));
    for (const i of [1, 2]) {
      const report = readReport(join(cwd, `segment-${i}.json`));
      delete report.merge!.prompts;
      delete report.merge!.run_load_model;
      writeFileSync(join(cwd, `old-${i}.json`), JSON.stringify(report));
    }
    const result = await runCli(["merge", "old-1.json", "old-2.json", "--out", "merged.json", "--quiet"], { cwd });
    ok(result, "merge");
    assert.match(result.stderr, /old-1\.json, old-2\.json: no prompt length histograms .* no prompts block/);
    assert.match(result.stderr, /old-1\.json: no whole-run load model .* one segment's share/);
    const merged = readReport(join(cwd, "merged.json"));
    assert.equal(merged.summary.requests, 6);
    assert.equal(merged.prompts, undefined);
    assert.match(String(merged.config["load_model"]), /^closed: 2 clients/);
  });
});

describe("a closed model's request budget over segments", () => {
  test("the segments' shares add up to what one process issues, each within its clients' cycles", () => {
    for (const clients of [2, 3, 5, 7]) {
      for (const cycles of [1, 3, null]) {
        for (const count of [2, 3]) {
          if (count > clients) continue;
          for (const budget of [count, clients, clients + 1, 2 * clients - 1, 3 * clients, 4 * clients + 2]) {
            const base = resolveRunConfig({ target: "http://127.0.0.1:1", clients: String(clients), requests: String(budget), ...(cycles === null ? { duration: "10" } : { cycles: String(cycles) }) });
            const shares = Array.from({ length: count }, (_, i) => {
              const config = segmentConfig({ ...base, cycles, distributed: { ...base.distributed, segment: { index: i + 1, count } } });
              if (cycles !== null) assert.ok(config.requests! <= config.clients * cycles, `segment ${i + 1}/${count} within its clients' cycles`);
              assert.ok(config.requests! >= 1);
              return config.requests!;
            });
            const whole = cycles === null ? budget : Math.min(budget, clients * cycles);
            assert.equal(shares.reduce((a, b) => a + b, 0), whole, `${clients} clients x ${cycles} cycles, budget ${budget}, ${count} segments: ${shares.join(" + ")}`);
          }
        }
      }
    }
  });
});
