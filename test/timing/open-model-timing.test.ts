// The open model keeps to its schedule against the in-process emulator (timing suite: bounds are the
// idle machine's plus the event-loop delay this process, client and emulator both, showed meanwhile).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { emulatorForSuite } from "../helpers/emulator.js";
import { arrivalPlan, runOpenModel } from "../helpers/open-model-run.js";
import { allowanceMs, describeMachine, watched } from "./machine.js";

async function runConstant(url: string, rps: number, durationS: number, maxConcurrent: number) {
  const plan = arrivalPlan("constant", { rps: String(rps) }, durationS);
  const { result, machine } = await watched(() => runOpenModel(url, plan, durationS, { maxConcurrent }));
  return { ...result, machine };
}

describe("open model timing", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, length: 5, seed: 3 });
  const slow = emulatorForSuite({ ttftMs: 5, itlMs: 25, length: 5, seed: 4 });

  test("constant 200 rps over 2 s: the achieved arrival rate is within 1% of the target", async () => {
    const { records, machine } = await runConstant(emulator().url, 200, 2, 1000);
    const starts = records.map((r) => r.start_ms).sort((a, b) => a - b);
    const achieved = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
    // A late first or last start stretches or shrinks the 2 s span by at most the longest delay seen.
    const tolerance = 0.01 + allowanceMs(machine, null, "max") / 2000;
    assert.ok(Math.abs(achieved - 200) / 200 < tolerance, `achieved ${achieved.toFixed(2)} rps (${describeMachine(machine)})`);
  });

  test("at the concurrency cap, admitted arrivals start on time (queue p99 under 20 ms)", async () => {
    const { collector, machine } = await runConstant(slow().url, 40, 0.5, 2);
    const queueP99 = collector.overall.latency.queue.percentileMs(99);
    assert.ok(queueP99 < 20 + allowanceMs(machine, null, "max"), `queue p99 ${queueP99} ms (${describeMachine(machine)})`);
  });
});
