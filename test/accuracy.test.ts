// Measurement accuracy against the emulator's known timing, at moderate concurrency. Kept in its
// own file: timing-sensitive, and the suite runs files one at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startEmulatorProcess, tempDir } from "./helpers/cli.js";
import type { Report } from "../src/report/types.js";

test("100 clients x 2 cycles against emulate --ttft-ms 150 --itl-ms 20: ttft p50 within 2 ms, itl p50 within 1 ms", async () => {
  const emulator = await startEmulatorProcess(["--ttft-ms", "150", "--itl-ms", "20", "--length", "50"]);
  try {
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", emulator.url, "--clients", "100", "--cycles", "2", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 200);
    assert.equal(report.summary.failed, 0);
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 200 * 50);
    const ttft = report.latency.ttft!.p50;
    const itl = report.latency.itl!.p50;
    assert.ok(Math.abs(ttft - 150) <= 2, `ttft p50 ${ttft}`);
    assert.ok(Math.abs(itl - 20) <= 1, `itl p50 ${itl}`);
  } finally {
    await emulator.stop();
  }
});
