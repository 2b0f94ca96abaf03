// Reasoning (issue 17's acceptance): against an emulated reasoning stream, the client's ttfc - ttft
// is the emulated reasoning time, N reasoning tokens x ITL, within 1 ms at p50 (timing suite: the
// bound is 1 ms plus what the machine showed during the run, ./machine.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report, RequestRecord } from "../../src/report/types.js";
import { allowanceMs, describeMachine, emulatorLateness, generatorAllowanceMs, watched } from "./machine.js";

const REASONING_TOKENS = 20;
const ITL_MS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

test(`--reasoning-tokens ${REASONING_TOKENS} at ${ITL_MS} ms: ttfc - ttft is ${REASONING_TOKENS * ITL_MS} ms (p50 within 1 ms); reasoning_tokens exact`, async (t) => {
  const emulator = await spawnEmulator(["--ttft-ms", "20", "--itl-ms", String(ITL_MS), "--reasoning-tokens", String(REASONING_TOKENS)]);
  try {
    const cwd = tempDir();
    const { result, machine } = await watched(() =>
      runCli(["run", "--target", emulator.url, "--protocol", "openai-chat", "--clients", "3", "--cycles", "10", "--length", "5", "--out", "r.json", "--raw", "raw.ndjson", "--no-save", "--quiet"], { cwd }),
    );
    assert.equal(result.code, 0, result.stderr);
    const lateness = await emulatorLateness(emulator.url);
    // The late wake-up may land in the emulator and again in the client, at either end of the span;
    // a median of 30 moves with the few requests a busy machine delayed, so the allowance is the
    // delays' p99, or the generator's own loop delay where that is larger.
    const generator = (JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report).client;
    const slack = 2 * Math.max(allowanceMs(machine, lateness, "p99"), generatorAllowanceMs(generator));
    const seen = describeMachine(machine, lateness);

    const records = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as RequestRecord);
    assert.equal(records.length, 30);
    for (const record of records) {
      assert.equal(record.ok, true, record.error ?? "");
      assert.equal(record.reasoning_tokens, REASONING_TOKENS);
      assert.equal(record.tokens, REASONING_TOKENS + 5);
    }
    const expected = REASONING_TOKENS * ITL_MS;
    const reasoningMs = median(records.map((record) => record.ttfc_ms! - record.ttft_ms!));
    t.diagnostic(`ttfc - ttft p50 ${reasoningMs} ms, expected ${expected}; ${seen}`);
    assert.ok(Math.abs(reasoningMs - expected) <= 1 + slack, `ttfc - ttft p50 ${reasoningMs} ms, expected ${expected} (${seen})`);

    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.latency.ttfc!.count, 30);
    const blockGap = report.latency.ttfc!.p50 - report.latency.ttft!.p50;
    assert.ok(Math.abs(blockGap - expected) <= 1 + slack, `latency.ttfc.p50 - latency.ttft.p50 = ${blockGap} ms, expected ${expected} (${seen})`);
  } finally {
    await emulator.stop();
  }
});
