// Measurement accuracy against the emulator's known timing, at moderate concurrency (timing suite:
// the bounds are the idle machine's plus what the machine showed during the run, ./machine.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { emulatorLateness, watched } from "./machine.js";
import { assertStreamTiming } from "./stream-timing.js";

// The bound: TTFT p50 within 2 ms of 150. What is left above 150 is real latency between
// two processes, measured correctly: on these 2-vCPU VMs a process idle for 150 ms takes 0.2-0.3 ms
// to wake (loopback round trip: 46 us after 2 ms idle, 350 us after 150 ms), once in the emulator
// when the request arrives and once in the client when the first token does; the wheel fires
// within microseconds. The first wave is 100 requests arriving at once on 100 new connections (the
// foundation issue's load, --max-concurrent 100): the emulator stamps each request when it arrives
// and the wheel yields to pending I/O between firings, so the burst reaches the p90, not the p50.
const TTFT_TOLERANCE_MS = 2;

test("100 requests at once x 2 cycles (--max-concurrent 100) against emulate --ttft-ms 150 --itl-ms 20 --length 50: ttft and itl p50 on target", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "150", "--itl-ms", "20", "--length", "50"]);
  try {
    const cwd = tempDir();
    const { result, machine } = await watched(() =>
      runCli(["run", "--target", emulator.url, "--clients", "100", "--max-concurrent", "100", "--cycles", "2", "--out", "r.json", "--no-save", "--quiet"], { cwd }),
    );
    const lateness = await emulatorLateness(emulator.url);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 200);
    assert.equal(report.summary.failed, 0);
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 200 * 50);
    assertStreamTiming(report, machine, lateness, { ttftMs: 150, itlMs: 20, ttftToleranceMs: TTFT_TOLERANCE_MS });
  } finally {
    await emulator.stop();
  }
});
