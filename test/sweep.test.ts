// `tokenstorm sweep`: finds the knee of an emulator that runs 8 generations at once, stops after the
// first failing step, steps rates against an external target, and rejects bad flags all at once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { capacityOf, runSweep, type SweepStep } from "../src/engine/sweep.js";
import { stepValues } from "../src/engine/sweep-steps.js";
import { sweepOptionsFromFlags } from "../src/cli/sweep.js";
import { UsageError } from "../src/errors.js";

interface SweepJson {
  capacity: number | null;
  limit_found: boolean;
  sweep: { mode: string; slos: string[]; embedded_emulator: boolean; emulator: Record<string, unknown> };
  steps: Array<{ value: number; ok: boolean; failed_slos: string[]; latency: { ttft: { p95: number } }; summary: { success_rate: number } }>;
}

function step(value: number, ok: boolean): SweepStep {
  return { value, ok, failed: ok ? [] : ["x"], interrupted: false, report: undefined as never };
}

test("step plans: a list, a linear climb, doubling; all cut at the step limit", () => {
  assert.deepEqual([...stepValues({ kind: "list", values: [3, 1, 2] }, 2)], [3, 1]);
  assert.deepEqual([...stepValues({ kind: "linear", start: 5, step: 5 }, 4)], [5, 10, 15, 20]);
  assert.deepEqual([...stepValues({ kind: "doubling", start: 1 }, 5)], [1, 2, 4, 8, 16]);
});

test("capacity: the highest step meeting the SLOs with every step below it", () => {
  assert.deepEqual(capacityOf([step(1, true), step(2, true), step(4, false)]), { capacity: 2, limitFound: true });
  // A lucky pass above a failure does not raise the capacity.
  assert.deepEqual(capacityOf([step(1, true), step(2, false), step(4, true)]), { capacity: 1, limitFound: true });
  assert.deepEqual(capacityOf([step(1, false)]), { capacity: null, limitFound: true });
  assert.deepEqual(capacityOf([step(1, true), step(2, true)]), { capacity: 2, limitFound: false });
});

test("a step must keep its requests succeeding unless an SLO already judges errors", () => {
  assert.deepEqual(sweepOptionsFromFlags({ slo: ["ttft.p95<1s"] }).settings.slos, ["ttft.p95<1s", "success_rate>=0.99"]);
  assert.deepEqual(sweepOptionsFromFlags({ slo: ["error_rate<0.05"] }).settings.slos, ["error_rate<0.05"]);
  const { options, settings } = sweepOptionsFromFlags({});
  assert.equal(options.mode, "concurrency");
  assert.equal(settings.steps, "1, 2, 4, ...");
});

test("every bad flag is reported in one usage error", () => {
  assert.throws(
    () =>
      sweepOptionsFromFlags({
        rates: "5,x",
        concurrency: "2",
        slo: ["ttft.p96<1s"],
        target: "http://127.0.0.1:1",
        emulatorMaxRunning: "8",
        stepDuration: "0",
      }),
    (err: unknown) => {
      assert.ok(err instanceof UsageError);
      for (const part of [/--rates must be a number > 0 \(got "x"\)/, /not both/, /--slo "ttft\.p96<1s": unknown stat/, /--emulator-max-running sets the embedded emulator/, /--step-duration must be/]) {
        assert.match(err.message, part);
      }
      return true;
    },
  );
  assert.throws(() => sweepOptionsFromFlags({ concurrency: "0,2" }), { message: '--concurrency must be a positive integer (got "0")' });
});

test("an emulator running 8 generations at once: the sweep finds capacity 8 and stops after the first failing step", async () => {
  // 100 ms to the first token, 20 tokens 10 ms apart: ~290 ms per request. Up to 8 concurrent streams
  // the TTFT stays ~100 ms; at 16, half of them wait a whole generation in the queue (~390 ms).
  const cwd = tempDir();
  const args = ["sweep", "--concurrency", "4,8,16,32", "--step-duration", "2", "--ttft", "0.1", "--delay", "0.01", "--length", "20"];
  args.push("--emulator-max-running", "8", "--slo", "ttft.p95<250ms", "--out", "sweep.json");
  const result = await runCli(args, { cwd, timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^capacity: 8 concurrent requests \(highest step meeting every SLO; 16 misses ttft\.p95<250ms\)$/m);
  assert.match(result.stdout, /CAPACITY SWEEP: concurrency/);
  const json = JSON.parse(readFileSync(join(cwd, "sweep.json"), "utf8")) as SweepJson;
  assert.equal(json.capacity, 8);
  assert.equal(json.limit_found, true);
  assert.equal(json.sweep.embedded_emulator, true);
  assert.equal(json.sweep.emulator.maxRunning, 8);
  assert.deepEqual(json.steps.map((s) => [s.value, s.ok]), [[4, true], [8, true], [16, false]], "stops after the first failing step");
  assert.deepEqual(json.steps[2]!.failed_slos, ["ttft.p95<250ms"]);
  // The failure is the queue, not errors: everything succeeded, TTFT jumped by about one generation.
  assert.ok(json.steps.every((s) => s.summary.success_rate === 1));
  assert.ok(json.steps[2]!.latency.ttft.p95 > 300, `ttft p95 at 16: ${json.steps[2]!.latency.ttft.p95}`);
});

describe("a rate sweep against a running target", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1, length: 5 });

  test("constant arrivals at each rate; every step met the SLOs, so the capacity is a lower bound", async () => {
    // The SLO is loose: this checks the rate mechanics, not latency on a busy machine.
    const { options } = sweepOptionsFromFlags({ target: emulator().url, rates: "10,20", stepDuration: "1", slo: ["ttft.p95<2s"] });
    const seen: number[] = [];
    const result = await runSweep({ ...options, onStep: (s) => seen.push(s.value) });
    assert.deepEqual(seen, [10, 20]);
    assert.equal(result.embeddedEmulator, false);
    for (const s of result.steps) {
      assert.ok(s.ok, `rate ${s.value} missed ${JSON.stringify(s.report.thresholds)}`);
      assert.ok(Math.abs(s.report.summary.requests - s.value) <= 1, `rate ${s.value}: ${s.report.summary.requests} requests in 1 s`);
      assert.equal((JSON.parse(JSON.stringify(s.report.config.pattern)) as { rps: number }).rps, s.value);
    }
    assert.equal(result.capacity, 20);
    assert.equal(result.limitFound, false);
  });
});
