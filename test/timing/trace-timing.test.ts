// Trace replay timing (issue 17): arrivals land on their recorded offsets, divided by the speedup,
// within 1% (timing suite: plus what the machine showed during the run, ./machine.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { allowanceMs, describeMachine, watched } from "./machine.js";

const ARRIVALS = 21;

for (const speedup of [1, 10]) {
  test(`--trace-speedup ${speedup}: ${ARRIVALS} arrivals over 2 s as replayed land on their offsets within 1%`, async () => {
    const emulator = await spawnEmulator(["--ttft-ms", "5", "--itl-ms", "2", "--length", "3"]);
    try {
      const cwd = tempDir();
      // Uneven gaps, as a real trace has: recorded offsets of 100 ms x speedup on average.
      const gaps = Array.from({ length: ARRIVALS - 1 }, (_, i) => (i % 2 === 0 ? 60 : 140) * speedup);
      let at = 5_000;
      const lines = [{ timestamp: at, input_length: 20, output_length: 3 }];
      for (const gap of gaps) lines.push({ timestamp: (at += gap), input_length: 20, output_length: 3 });
      writeFileSync(join(cwd, "trace.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
      const { result, machine } = await watched(() =>
        runCli(["run", "--target", emulator.url, "--trace", "trace.jsonl", "--trace-speedup", String(speedup), "--out", "r.json", "--no-save", "--quiet"], { cwd }),
      );
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      const arrivals = report.arrivals!;
      assert.equal(arrivals.count, ARRIVALS);
      assert.equal(report.summary.requests, ARRIVALS);
      const intendedSpan = (at - 5_000) / speedup;
      const span = arrivals.last_ms! - arrivals.first_ms!;
      const slack = allowanceMs(machine, null, "max");
      const seen = describeMachine(machine);
      assert.ok(Math.abs(span - intendedSpan) <= 0.01 * intendedSpan + slack, `span ${span} ms, recorded ${intendedSpan} ms (${seen})`);
      assert.ok(arrivals.max_lag_ms <= 0.01 * intendedSpan + slack, `an arrival ${arrivals.max_lag_ms} ms late (${seen})`);
    } finally {
      await emulator.stop();
    }
  });
}
