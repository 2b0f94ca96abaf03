// `tokenstorm run` reaches the timing it is asked for (timing suite: bounds are the idle machine's plus
// the emulator's own lateness record and the event-loop delay this process saw, ./machine.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { allowanceMs, describeMachine, emulatorLateness, watched } from "./machine.js";

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as Report;
}

test("seed 000's defaults against the embedded emulator: itl p50 centres on the 10 ms token delay", async () => {
  const cwd = tempDir();
  const { result, machine } = await watched(() => runCli(["run", "--out", "r.json", "--no-save", "--quiet"], { cwd }));
  assert.equal(result.code, 0, result.stderr);
  const itl = readReport(cwd).latency.itl!.p50;
  assert.ok(Math.abs(itl - 10) < 1.5 + 2 * allowanceMs(machine), `itl p50 ${itl} (${describeMachine(machine)})`);
});

test("--delay 0.02 and --ttft 0.05 asked of an emulator running elsewhere: itl p50 about 20 ms, ttft p50 about 50 ms", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "1", "--itl-ms", "1"]);
  try {
    const cwd = tempDir();
    const args = ["run", "--target", emulator.url, "--clients", "2", "--cycles", "2", "--length", "6", "--delay", "0.02", "--ttft", "0.05", "--out", "r.json", "--no-save", "--quiet"];
    const { result, machine } = await watched(() => runCli(args, { cwd }));
    assert.equal(result.code, 0, result.stderr);
    const lateness = await emulatorLateness(emulator.url);
    const slack = 2 * allowanceMs(machine, lateness, "max");
    const seen = describeMachine(machine, lateness);
    const report = readReport(cwd);
    assert.ok(Math.abs(report.latency.itl!.p50 - 20) < 3 + slack, `itl p50 ${report.latency.itl!.p50} (${seen})`);
    assert.ok(report.latency.ttft!.p50 >= 50 && report.latency.ttft!.p50 < 70 + slack, `ttft p50 ${report.latency.ttft!.p50} (${seen})`);
  } finally {
    await emulator.stop();
  }
});

test("--pattern constant --rps 50 for 2 s: achieved rate within 1%, arrivals at most 50 ms late", async () => {
  const cwd = tempDir();
  const { result, machine } = await watched(() =>
    runCli(["run", "--pattern", "constant", "--rps", "50", "--duration", "2", "--out", "r.json", "--no-save", "--quiet"], { cwd }),
  );
  assert.equal(result.code, 0, result.stderr);
  const arrivals = readReport(cwd).arrivals!;
  const lateMs = allowanceMs(machine, null, "max");
  const seen = describeMachine(machine);
  // The rate is taken from when arrivals left the schedule: a late last arrival stretches the span.
  const rateTolerance = 0.01 + lateMs / 2000;
  assert.ok(Math.abs(arrivals.achieved_rps! - 50) / 50 < rateTolerance, `achieved ${arrivals.achieved_rps} rps (${seen})`);
  assert.ok(arrivals.max_lag_ms < 50 + lateMs, `max lag ${arrivals.max_lag_ms} ms (${seen})`);
});
