// Prefill cost (issue 18): with --prefill-ms-per-1k 50, prompts of 1,000 / 4,000 / 8,000 tokens read
// TTFT base + 50 / 200 / 400 ms, client-measured (timing suite: the bound is 1 ms plus what the
// machine showed during the run, ./machine.ts). With a prefix cache, a group's later requests skip
// the prefill of the prefix they share. With --decode-ms-per-1k-kv, the gaps grow with the KV cache held.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { allowanceMs, describeMachine, emulatorLateness, generatorAllowanceMs, watched } from "./machine.js";

const BASE_TTFT_MS = 20;
const PREFILL_MS_PER_1K = 50;
const LENGTHS = [1000, 4000, 8000];

function promptOf(tokens: number, tag: string): string {
  return Array.from({ length: tokens }, (_, i) => `${tag}${i}`).join(" ");
}

async function runDataset(url: string, lines: object[], extra: string[]): Promise<{ report: Report; slack: number; seen: string }> {
  const cwd = tempDir();
  writeFileSync(join(cwd, "prompts.jsonl"), lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
  const { result, machine } = await watched(() =>
    runCli(["run", "--target", url, "--protocol", "openai-completions", "--dataset", "prompts.jsonl", "--out", "r.json", "--no-save", "--quiet", ...extra], { cwd }),
  );
  assert.equal(result.code, 0, result.stderr);
  const lateness = await emulatorLateness(url);
  const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
  return {
    report,
    // The late wake-up may land in the emulator and again in the client. A p50 over ten requests a
    // type moves with the few that a busy machine delayed: the allowance is the delays' p99 (on an
    // idle machine well under a millisecond), or the generator's own loop delay where that is larger.
    slack: 2 * Math.max(allowanceMs(machine, lateness, "p99"), generatorAllowanceMs(report.client)),
    seen: describeMachine(machine, lateness),
  };
}

test("--prefill-ms-per-1k 50: prompts of 1,000 / 4,000 / 8,000 tokens read TTFT base + 50 / 200 / 400 ms (p50 within 1 ms)", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", String(BASE_TTFT_MS), "--itl-ms", "5", "--length", "5", "--prefill-ms-per-1k", String(PREFILL_MS_PER_1K)]);
  try {
    const lines = LENGTHS.map((tokens) => ({ prompt: promptOf(tokens, "w"), type: `p${tokens}` }));
    const { report, slack, seen } = await runDataset(emulator.url, lines, ["--clients", "3", "--cycles", "10"]);
    assert.equal(report.summary.failed, 0);
    for (const tokens of LENGTHS) {
      const byType = report.by_type[`p${tokens}`];
      assert.ok(byType && byType.summary.requests > 0, `no requests of ${tokens} tokens: ${Object.keys(report.by_type).join(",")}`);
      const expected = BASE_TTFT_MS + (PREFILL_MS_PER_1K * tokens) / 1000;
      const p50 = byType.latency.ttft!.p50;
      assert.ok(p50 >= expected - 0.5 && p50 - expected <= 1 + slack, `${tokens} tokens: ttft p50 ${p50} ms, expected ${expected} (${seen})`);
    }
  } finally {
    await emulator.stop();
  }
});

test("with a prefix cache: after each group's first request, TTFT drops by the shared prefix's prefill time (p50 within 1 ms)", async () => {
  const PREFIX = 2000;
  const SUFFIX = 8;
  // Ten groups: ten first requests, so their p50 is not one request's.
  const GROUPS = 10;
  const emulator = await spawnEmulator([
    "--ttft-ms", String(BASE_TTFT_MS), "--itl-ms", "5", "--length", "5",
    "--prefill-ms-per-1k", String(PREFILL_MS_PER_1K), "--prefix-cache-tokens", "100000",
  ]);
  try {
    // The groups' prompts, each group's first request apart (type "first") from the rest ("again").
    const lines: object[] = [];
    for (let group = 0; group < GROUPS; group++) lines.push({ prompt: `${promptOf(PREFIX, `g${group}x`)} ${promptOf(SUFFIX, "first")}`, type: "first" });
    for (let round = 0; round < 3; round++) {
      for (let group = 0; group < GROUPS; group++) lines.push({ prompt: `${promptOf(PREFIX, `g${group}x`)} ${promptOf(SUFFIX, `r${round}s`)}`, type: "again" });
    }
    // One client, in file order: the first ten requests meet an empty cache.
    const { report, slack, seen } = await runDataset(emulator.url, lines, ["--clients", "1", "--requests", String(lines.length)]);
    assert.equal(report.summary.requests, lines.length);
    assert.equal(report.summary.failed, 0);
    const first = report.by_type["first"]!.latency.ttft!.p50;
    const again = report.by_type["again"]!.latency.ttft!.p50;
    const promptTokens = PREFIX + SUFFIX;
    assert.ok(Math.abs(first - (BASE_TTFT_MS + (PREFILL_MS_PER_1K * promptTokens) / 1000)) <= 1 + slack, `first ttft p50 ${first} (${seen})`);
    // 2,000 prefix tokens are 125 whole blocks of 16: all of them cached.
    const uncached = promptTokens - PREFIX;
    assert.ok(Math.abs(again - (BASE_TTFT_MS + (PREFILL_MS_PER_1K * uncached) / 1000)) <= 1 + slack, `again ttft p50 ${again} (${seen})`);
    const stats = (await (await fetch(`${emulator.url}/stats`)).json()) as { prefixCache: { queries: number; hits: number } };
    assert.deepEqual(stats.prefixCache, { queries: lines.length * promptTokens, hits: (lines.length - GROUPS) * PREFIX });
  } finally {
    await emulator.stop();
  }
});

test("--decode-ms-per-1k-kv 10: a stream holding 1,000 KV-cache tokens alone reads ITL 5 + 10 ms (p50 within 1 ms)", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "5", "--itl-ms", "5", "--kv-cache-tokens", "100000", "--decode-ms-per-1k-kv", "10"]);
  try {
    // 960 prompt words + 40 output tokens: 1,000 tokens held while it runs, one request at a time.
    const { report, slack, seen } = await runDataset(emulator.url, [{ prompt: promptOf(960, "k"), max_tokens: 40 }], ["--clients", "1", "--cycles", "5"]);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.summary.tokens_total, 5 * 40);
    const itl = report.latency.itl!.p50;
    assert.ok(Math.abs(itl - 15) <= 1 + slack, `itl p50 ${itl}, expected 15 (${seen})`);
  } finally {
    await emulator.stop();
  }
});
