// Measurement accuracy against the emulator's known timing, at moderate concurrency (timing suite:
// the bounds are the idle machine's plus what the machine showed during the run, ./machine.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { allowanceMs, describeMachine, generatorAllowanceMs, emulatorLateness, watched } from "./machine.js";

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
        const seen = describeMachine(machine, lateness);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    // A late wake-up can land in the emulator (its wheel's lateness) and again in the client, whose own
    // loop delay stamps a burst of first tokens late as well.
    const slack = 2 * Math.max(allowanceMs(machine, lateness), generatorAllowanceMs(report.client));
    assert.equal(report.summary.requests, 200);
    assert.equal(report.summary.failed, 0);
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 200 * 50);
    const ttft = report.latency.ttft!.p50;
    const itl = report.latency.itl!.p50;
    assert.ok(ttft >= 150 && ttft - 150 <= TTFT_TOLERANCE_MS + slack, `ttft p50 ${ttft} (${seen}; generator ${JSON.stringify(report.client)})`);
    assert.ok(Math.abs(itl - 20) <= 1 + slack, `itl p50 ${itl} (${seen})`);
    // TPOT averages each request's gaps: the emulator's cadence is drift-free, so it is exact.
    assert.ok(Math.abs(report.latency.tpot!.p50 - 20) <= 0.5 + slack, `tpot p50 ${report.latency.tpot!.p50} (${seen})`);
  } finally {
    await emulator.stop();
  }
});
