// Datasets and traces (issue 17): ShareGPT's conversations, a Mooncake-shape JSONL trace (with
// hash_ids) and a BurstGPT-shape CSV trace, run against the emulator: every request sent with the
// recorded lengths, and requests that share hash_ids blocks share exactly those prompt tokens, as the
// emulator's prefix cache (blocks of the trace's 512 tokens) counts them. Arrival timing against the
// recorded offsets is checked in test/timing/trace-timing.test.ts.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { Problems } from "../src/config/values.js";
import { wordsOf } from "../src/emulator/text.js";
import type { Report } from "../src/report/types.js";
import { loadDataset } from "../src/workload/dataset.js";
import { synthesisePrompt, TRACE_BLOCK_TOKENS } from "../src/workload/trace.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

const FIXTURES = resolve(fileURLToPath(import.meta.url), "../../../test/fixtures");

interface MooncakeLine {
  timestamp: number;
  input_length: number;
  output_length: number;
  hash_ids?: number[];
}

/** Prefix-cache hits a trace implies: each request's leading run of full blocks an earlier request held. */
function expectedHits(lines: MooncakeLine[]): number {
  const held = new Set<string>();
  let hits = 0;
  for (const line of lines) {
    const full = Math.floor(line.input_length / TRACE_BLOCK_TOKENS);
    const chain = (line.hash_ids ?? []).slice(0, full).map((_, k, ids) => ids.slice(0, k + 1).join(","));
    let run = 0;
    while (run < chain.length && held.has(chain[run]!)) run++;
    hits += run * TRACE_BLOCK_TOKENS;
    for (const key of chain) held.add(key);
  }
  return hits;
}

async function run(args: string[], cwd: string): Promise<{ report: Report; stderr: string; code: number | null }> {
  const result = await runCli(["run", ...args, "--out", "r.json", "--no-save", "--quiet"], { cwd });
  return { code: result.code, stderr: result.stderr, report: result.code === 0 ? (JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report) : (undefined as unknown as Report) };
}

describe("ShareGPT conversations", () => {
  it("reads the first answered human turn of each conversation (after its system turn), the reply's length as max tokens; unanswered ones are counted out", () => {
    const problems = new Problems();
    const dataset = loadDataset(join(FIXTURES, "sharegpt.json"), problems);
    assert.deepEqual(problems.lines, []);
    assert.equal(dataset!.entries.length, 3);
    assert.equal(dataset!.skipped, 1);
    const [first, second] = dataset!.entries;
    assert.deepEqual(first!.messages, [{ role: "user", content: "How do I rotate the logs of a service that writes to a single file?" }]);
    assert.equal(first!.maxTokens, 14);
    assert.deepEqual(second!.messages!.map((m) => m.role), ["system", "user"]);
    assert.equal(second!.maxTokens, 15);
    assert.equal(second!.type, "sharegpt");
  });

  it("a run sends every conversation, asking for the recorded reply lengths", async () => {
    const cwd = tempDir();
    const { report, code, stderr } = await run(["--dataset", join(FIXTURES, "sharegpt.json"), "--clients", "1", "--cycles", "3"], cwd);
    assert.equal(code, 0, stderr);
    assert.equal(report.summary.requests, 3);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.summary.tokens_total, 14 + 15 + 5);
    assert.equal((report.config as { dataset: { skipped: number } }).dataset.skipped, 1);
  });

  it("a file that is not ShareGPT is named with what is wrong", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "bad.json"), JSON.stringify([{ conversations: [{ from: "martian", value: "hi" }] }, { id: 3 }]));
    writeFileSync(join(cwd, "broken.json"), '[\n  {"conversations": [\n  }\n]');
    const bad = await runCli(["run", "--dataset", "bad.json", "--no-save"], { cwd });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json: conversation 1, turn 1: needs "from"/);
    assert.match(bad.stderr, /bad\.json: conversation 2: needs "conversations"/);
    const broken = await runCli(["run", "--dataset", "broken.json", "--no-save"], { cwd });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.json:3: not valid JSON/);
    assert.doesNotMatch(bad.stderr + broken.stderr, /\n\s+at /);
  });
});

describe("trace replay", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, prefixCacheTokens: 1_000_000, blockSize: TRACE_BLOCK_TOKENS, warmUp: false });

  it("synthesised prompts have the recorded length and share exactly their common hash blocks", () => {
    const a = wordsOf(synthesisePrompt(1200, [1, 2, 3], 1));
    const b = wordsOf(synthesisePrompt(1100, [1, 2, 9], 2));
    assert.equal(a.length, 1200);
    assert.equal(b.length, 1100);
    assert.deepEqual(a.slice(0, 1024), b.slice(0, 1024));
    assert.notDeepEqual(a.slice(1024, 1100), b.slice(1024, 1100));
    assert.notDeepEqual(wordsOf(synthesisePrompt(600, null, 1)).slice(0, 512), wordsOf(synthesisePrompt(600, null, 2)).slice(0, 512));
  });

  it("a Mooncake-shape trace (x10): every request sent with its lengths; the emulator's prefix hits are exactly the shared hash blocks", async () => {
    const lines: MooncakeLine[] = [
      { timestamp: 1000, input_length: 1100, output_length: 8, hash_ids: [0, 1, 2] },
      { timestamp: 1200, input_length: 1536, output_length: 5, hash_ids: [0, 1, 3] },
      { timestamp: 1400, input_length: 300, output_length: 4 },
      { timestamp: 1600, input_length: 2048, output_length: 6, hash_ids: [0, 1, 3, 4] },
      { timestamp: 1800, input_length: 700, output_length: 3, hash_ids: [5, 6] },
      { timestamp: 2000, input_length: 1024, output_length: 7, hash_ids: [5, 7] },
      { timestamp: 2200, input_length: 600, output_length: 2, hash_ids: [0, 8] },
    ];
    const cwd = tempDir();
    writeFileSync(join(cwd, "trace.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    await fetch(`${emulator().url}/stats/reset`, { method: "POST" });
    const { report, code, stderr } = await run(["--target", emulator().url, "--trace", "trace.jsonl", "--trace-speedup", "10"], cwd);
    assert.equal(code, 0, stderr);
    assert.equal(report.summary.requests, lines.length);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.summary.tokens_total, lines.reduce((sum, l) => sum + l.output_length, 0));
    assert.equal(report.arrivals!.count, lines.length);
    const stats = (await (await fetch(`${emulator().url}/stats`)).json()) as { promptTokens: number; prefixCache: { queries: number; hits: number } };
    assert.equal(stats.promptTokens, lines.reduce((sum, l) => sum + l.input_length, 0));
    assert.equal(stats.prefixCache.hits, expectedHits(lines));
    assert.ok(stats.prefixCache.hits > 0);
    assert.equal((report.config as { pattern: { name: string; requests: number } }).pattern.name, "trace");
  });

  it("a BurstGPT-shape CSV trace: failed rows (no response tokens) left out and counted, the rest sent with their lengths", async () => {
    const cwd = tempDir();
    await fetch(`${emulator().url}/stats/reset`, { method: "POST" });
    const { report, code, stderr } = await run(["--target", emulator().url, "--trace", join(FIXTURES, "burstgpt.csv"), "--trace-speedup", "2"], cwd);
    assert.equal(code, 0, stderr);
    assert.equal(report.summary.requests, 4);
    assert.equal(report.summary.tokens_total, 30 + 12 + 20 + 7);
    const stats = (await (await fetch(`${emulator().url}/stats`)).json()) as { promptTokens: number };
    assert.equal(stats.promptTokens, 120 + 40 + 75 + 18);
    assert.equal((report.config as { pattern: { skipped: number } }).pattern.skipped, 1);
  });

  it("bad traces and flags: each problem names its file:line or flag, exit 2", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "back.jsonl"), '{"timestamp": 10, "input_length": 5, "output_length": 2}\n{"timestamp": 5, "input_length": 0, "output_length": 2}\n');
    writeFileSync(join(cwd, "cols.csv"), "Time,Request tokens\n0,5\n");
    const back = await runCli(["run", "--trace", "back.jsonl", "--no-save"], { cwd });
    assert.equal(back.code, 2);
    assert.match(back.stderr, /back\.jsonl:2: input_length must be a positive integer/);
    const cols = await runCli(["run", "--trace", "cols.csv", "--no-save"], { cwd });
    assert.match(cols.stderr, /cols\.csv:1: the header needs the columns Timestamp, Request tokens, Response tokens/);
    const flags = await runCli(["run", "--trace", join(FIXTURES, "burstgpt.csv"), "--pattern", "poisson", "--clients", "3", "--trace-speedup", "0", "--no-save"], { cwd });
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /--pattern does not apply with --trace/);
    assert.match(flags.stderr, /--clients does not apply with --trace/);
    assert.match(flags.stderr, /--trace-speedup must be a number > 0/);
    const alone = await runCli(["run", "--trace-speedup", "4", "--no-save"], { cwd });
    assert.match(alone.stderr, /--trace-speedup needs --trace/);
    for (const result of [back, cols, flags, alone]) assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
