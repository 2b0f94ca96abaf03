// Measurement accuracy against the emulator's known timing, at moderate concurrency. Kept in its
// own file: timing-sensitive, and the suite runs files one at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "./helpers/cli.js";
import { spawnEmulator } from "../src/emulator/process.js";
import type { Report } from "../src/report/types.js";

// The bound: TTFT p50 within 2 ms of 150. What is left above 150 is real latency between
// two processes, measured correctly: on these 2-vCPU VMs a process idle for 150 ms takes 0.2-0.3 ms
// to wake (loopback round trip: 46 us after 2 ms idle, 350 us after 150 ms), once in the emulator
// when the request arrives and once in the client when the first token does; the wheel fires
// within microseconds. The first wave also pays for accepting 50 new connections at once (about
// 0.1 ms each in node:http), which reaches its p90 but not the p50. Measured on an idle machine:
// p50 150.2-151.5 ms.
const TTFT_TOLERANCE_MS = 2;

test("100 clients x 2 cycles against emulate --ttft-ms 150 --itl-ms 20 --length 50: ttft and itl p50 on target", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "150", "--itl-ms", "20", "--length", "50"]);
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
    assert.ok(ttft >= 150 && ttft - 150 <= TTFT_TOLERANCE_MS, `ttft p50 ${ttft}`);
    assert.ok(Math.abs(itl - 20) <= 1, `itl p50 ${itl}`);
    // TPOT averages each request's gaps: the emulator's cadence is drift-free, so it is exact.
    assert.ok(Math.abs(report.latency.tpot!.p50 - 20) <= 0.5, `tpot p50 ${report.latency.tpot!.p50}`);
  } finally {
    await emulator.stop();
  }
});
