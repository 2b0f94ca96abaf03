// Open-model arrival patterns: each schedule's counts and spacing over a fixed seed, then the timer
// loop against the in-process emulator (achieved rate, drops at the cap, queueing instead), and the
// CLI flags end to end.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { emulatorForSuite } from "./helpers/emulator.js";
import type { Report } from "../src/report/types.js";
import { ArrivalQueue } from "../src/workload/arrival-queue.js";
import { burstSchedule } from "../src/workload/burst.js";
import { chaosSchedule } from "../src/workload/chaos.js";
import { constantSchedule } from "../src/workload/constant.js";
import type { ArrivalPlan } from "../src/workload/open.js";
import { resolvePattern } from "../src/workload/patterns.js";
import { poissonSchedule } from "../src/workload/poisson.js";
import { rampSchedule } from "../src/workload/ramp.js";
import { spikeSchedule } from "../src/workload/spike.js";
import { stepsLengthMs, stepsSchedule, validateSteps } from "../src/workload/steps.js";
import { Problems } from "../src/config/values.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { arrivalPlan, runOpenModel } from "./helpers/open-model-run.js";

const SEED = 42;

function gaps(arrivals: number[]): number[] {
  return arrivals.slice(1).map((at, i) => at - arrivals[i]!);
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Coefficient of variation of the gaps: 1 for Poisson, higher for burstier arrivals. */
function variation(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2))) / m;
}

function perSecond(arrivals: number[], seconds: number): number[] {
  const counts = new Array<number>(seconds).fill(0);
  for (const at of arrivals) counts[Math.floor(at / 1000)]!++;
  return counts;
}

describe("arrival schedules", () => {
  test("constant: one arrival every 1/rps s from the start", () => {
    const arrivals = [...constantSchedule({ rps: 10 }, { endMs: 2000, seed: SEED })];
    assert.equal(arrivals.length, 20);
    assert.equal(arrivals[0], 0);
    for (const gap of gaps(arrivals)) assert.ok(Math.abs(gap - 100) < 1e-9, `gap ${gap}`);
  });

  test("poisson: mean gap 1/rps, exponential spread; burstiness below 1 clusters arrivals", () => {
    const poisson = [...poissonSchedule({ rps: 100, burstiness: 1 }, { endMs: 60_000, seed: SEED })];
    assert.ok(Math.abs(poisson.length - 6000) < 6000 * 0.05, `count ${poisson.length}`);
    assert.ok(Math.abs(mean(gaps(poisson)) - 10) < 0.5, `mean gap ${mean(gaps(poisson))}`);
    assert.ok(Math.abs(variation(gaps(poisson)) - 1) < 0.1, `cv ${variation(gaps(poisson))}`);
    const bursty = [...poissonSchedule({ rps: 100, burstiness: 0.25 }, { endMs: 60_000, seed: SEED })];
    assert.ok(Math.abs(mean(gaps(bursty)) - 10) < 1, `mean gap ${mean(gaps(bursty))}`);
    assert.ok(Math.abs(variation(gaps(bursty)) - 2) < 0.3, `cv ${variation(gaps(bursty))}`);
  });

  test("ramp: 0 to 30 rps over 300 s yields 4500 arrivals, ever closer together", () => {
    const arrivals = [...rampSchedule({ rpsStart: 0, rps: 30, durationS: 300 }, { endMs: 300_000, seed: SEED })];
    assert.ok(Math.abs(arrivals.length - 4500) <= 1, `count ${arrivals.length}`);
    const spacing = gaps(arrivals);
    for (let i = 1; i < spacing.length; i++) assert.ok(spacing[i]! <= spacing[i - 1]! + 1e-6);
    const lastSecond = perSecond(arrivals, 300).at(-1)!;
    assert.ok(lastSecond >= 29 && lastSecond <= 30, `last second ${lastSecond}`);
  });

  test("burst: --burst-size arrivals at once every --burst-every s, over an optional base rate", () => {
    const arrivals = [...burstSchedule({ burstSize: 50, burstEveryS: 10, rps: 0 }, { endMs: 30_000, seed: SEED })];
    assert.deepEqual(perSecond(arrivals, 30).filter((n) => n > 0), [50, 50, 50]);
    assert.deepEqual([...new Set(arrivals)], [0, 10_000, 20_000]);
    const withBase = [...burstSchedule({ burstSize: 5, burstEveryS: 1, rps: 10 }, { endMs: 3000, seed: SEED })];
    assert.equal(withBase.length, 3 * 5 + 30);
    for (const gap of gaps(withBase)) assert.ok(gap >= 0, "in order");
  });

  test("spike: the baseline rate, times the multiplier during each spike", () => {
    const arrivals = [...spikeSchedule({ rps: 10, spikeMultiplier: 5, spikeEveryS: 10, spikeDurationS: 2 }, { endMs: 30_000, seed: SEED })];
    const counts = perSecond(arrivals, 30);
    assert.equal(arrivals.length, 10 * 10 + 2 * (2 * 50 + 8 * 10));
    assert.deepEqual(counts.slice(8, 14), [10, 10, 50, 50, 10, 10]);
  });

  test("chaos with --burst-size (seed 001's chaos): random bursts on top of the same random rate", () => {
    const plain = [...chaosSchedule({ rps: 20 }, { endMs: 60_000, seed: SEED })];
    const bursty = [...chaosSchedule({ rps: 20, burstSize: 30 }, { endMs: 60_000, seed: SEED })];
    assert.deepEqual([...chaosSchedule({ rps: 20, burstSize: 30 }, { endMs: 60_000, seed: SEED })], bursty);
    for (let i = 1; i < bursty.length; i++) assert.ok(bursty[i]! >= bursty[i - 1]!, "ascending");
    assert.ok(bursty.every((at) => at < 60_000));
    // The rate's arrivals are all still there; the extra ones come in same-instant bursts of at most 30.
    const extra = new Map<number, number>();
    for (const at of bursty) extra.set(at, (extra.get(at) ?? 0) + 1);
    for (const at of plain) extra.set(at, extra.get(at)! - 1);
    const bursts = [...extra.values()].filter((n) => n > 0);
    assert.ok(bursts.length >= 5 && bursts.length <= 30, `bursts ${bursts.length}`);
    assert.ok(bursts.every((n) => n <= 30));
    assert.equal(bursty.length, plain.length + bursts.reduce((a, b) => a + b, 0));
    const problems = new Problems();
    assert.ok(resolvePattern("chaos", { rps: 20, burstSize: 30 }, problems, { durationS: 60, requests: null }));
    assert.deepEqual(problems.lines, []);
  });

  test("chaos: a random rate between 0 and 2x rps each second, replayed exactly by the seed", () => {
    const arrivals = [...chaosSchedule({ rps: 20 }, { endMs: 60_000, seed: SEED })];
    const counts = perSecond(arrivals, 60);
    assert.ok(counts.every((n) => n >= 0 && n <= 41), `counts ${counts.join(",")}`);
    assert.ok(Math.max(...counts) - Math.min(...counts) > 20, "the rate moves");
    assert.ok(Math.abs(arrivals.length - 1200) < 200, `count ${arrivals.length}`);
    assert.deepEqual([...chaosSchedule({ rps: 20 }, { endMs: 60_000, seed: SEED })], arrivals);
    assert.notDeepEqual([...chaosSchedule({ rps: 20 }, { endMs: 60_000, seed: SEED + 1 })], arrivals);
    assert.deepEqual(
      [...poissonSchedule({ rps: 50, burstiness: 0.5 }, { endMs: 5000, seed: 7 })],
      [...poissonSchedule({ rps: 50, burstiness: 0.5 }, { endMs: 5000, seed: 7 })],
    );
  });

  test("steps: the stages in order, 5:10,10:10,20:30 totalling 750 over 50 s", () => {
    const problems = new Problems();
    const options = validateSteps({ steps: "5:10,10:10,20:30" }, problems)!;
    assert.ok(problems.empty);
    assert.equal(stepsLengthMs(options), 50_000);
    const arrivals = [...stepsSchedule(options, { endMs: null, seed: SEED })];
    assert.equal(arrivals.length, 750);
    const counts = perSecond(arrivals, 50);
    assert.deepEqual([counts[0], counts[10], counts[49]], [5, 10, 20]);
  });

  test("validation collects every problem", () => {
    const problems = new Problems();
    validateSteps({ steps: "5:x,abc,-1:3" }, problems);
    assert.equal(problems.lines.length, 3, problems.lines.join("; "));
    const more = new Problems();
    const plan = resolvePattern("spike", { rps: 0, spikeEvery: 5, spikeDuration: 5, burstSize: 3 }, more, { durationS: 10, requests: null });
    assert.equal(plan, null);
    const text = more.lines.join("; ");
    for (const flag of ["--rps", "--spike-duration", "--burst-size"]) assert.match(text, new RegExp(flag));
  });
});

describe("open model against the emulator", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, length: 5, seed: 3 });

  const plan = arrivalPlan;
  const run = (url: string, arrivals: ArrivalPlan, durationS: number, cap: Parameters<typeof runOpenModel>[3] = {}) =>
    runOpenModel(url, arrivals, durationS, { seed: SEED, ...cap });

  test("constant 200 rps over 2 s: every planned arrival is issued, none dropped", async () => {
    const { records, collector, model } = await run(emulator().url, plan("constant", { rps: "200" }, 2), 2);
    assert.equal(model.plannedRequests, 400);
    assert.ok(Math.abs(records.length - 400) <= 4, `requests ${records.length}`);
    const starts = records.map((r) => r.start_ms).sort((a, b) => a - b);
    const achieved = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
    // Within 1% of the target: the timing suite's (test/timing/open-model-timing.test.ts).
    assert.equal(collector.overall.dropped, 0);
    assert.equal(collector.overall.failed, 0);
    assert.equal(collector.cycles, records.length);
    process.stdout.write(`# achieved arrival rate ${achieved.toFixed(2)} rps (target 200), queue p99 ${collector.overall.latency.queue.percentileMs(99).toFixed(2)} ms\n`);
  });

  describe("at the concurrency cap, with slow streams", () => {
    const slow = emulatorForSuite({ ttftMs: 5, itlMs: 25, length: 5, seed: 4 });

    test("arrivals beyond --max-concurrent are dropped and counted", async () => {
      const { collector, records } = await run(slow().url, plan("constant", { rps: "40" }, 0.5), 0.5, { maxConcurrent: 2 });
      assert.equal(records.length + collector.overall.dropped, 20);
      assert.ok(collector.overall.dropped >= 8, `dropped ${collector.overall.dropped}`);
      // Admitted arrivals start on time: the timing suite's (test/timing/open-model-timing.test.ts).
    });

    test("--queue-when-full waits for a slot instead, and the wait shows as queue latency", async () => {
      const options = { maxConcurrent: 2, queueWhenFull: true, runnerDurationS: null };
      const { collector, records, waitingPeak } = await run(slow().url, plan("constant", { rps: "40" }, 0.5), 0.5, options);
      assert.equal(collector.overall.dropped, 0);
      assert.equal(records.length, 20);
      // The backlog was told as it grew (the progress line's waiting=, tokenstorm_waiting_arrivals) and drained to nothing.
      assert.ok(waitingPeak >= 5, `at most ${waitingPeak} waiting`);
      assert.equal(collector.waitingArrivals, 0);
      const queue = collector.overall.latency.queue;
      assert.ok(queue.percentileMs(99) > 200, `queue p99 ${queue.percentileMs(99)}`);
      // Each later arrival waited longer: the lag builds up, measured from its intended time.
      const byArrival = [...records].sort((a, b) => a.client - b.client);
      assert.ok(byArrival.at(-1)!.queue_ms! > byArrival[2]!.queue_ms! + 100);
    });

    test("arrivals still queued when the duration ends are counted as dropped", async () => {
      const { collector, records } = await run(slow().url, plan("constant", { rps: "40" }, 0.5), 0.5, { maxConcurrent: 2, queueWhenFull: true });
      assert.equal(records.length + collector.overall.dropped, 20);
      assert.ok(collector.overall.dropped > 0);
    });
  });
});

describe("tokenstorm run --pattern", () => {
  test("arrivals never sent are explained by what happened to them: dropped at the cap, or still waiting when the run stopped", async () => {
    for (const [queue, line] of [
      [false, /^Dropped at the concurrency cap: (\d+) arrivals never sent \(raise --max-concurrent or use --queue-when-full\)$/m],
      [true, /^Still waiting for a slot when the run stopped: (\d+) arrivals never sent/m],
    ] as const) {
      const cwd = tempDir();
      const args = ["run", "--pattern", "constant", "--rps", "40", "--duration", "1", "--max-concurrent", "1", "--length", "10", "--delay", "0.05", "--out", "r.json", "--no-save"];
      const result = await runCli(queue ? [...args, "--queue-when-full"] : args, { cwd });
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      assert.ok(report.summary.dropped > 0, `dropped ${report.summary.dropped}`);
      assert.equal(Number(line.exec(result.stdout)?.[1]), report.summary.dropped, result.stdout);
    }
  });

  test("constant 50 rps for 2 s: about 100 requests, exit 0", async () => {
    const cwd = tempDir();
    const result = await runCli(["run", "--pattern", "constant", "--rps", "50", "--duration", "2", "--out", "r.json", "--no-save", "--quiet"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.ok(Math.abs(report.summary.requests - 100) <= 1, `requests ${report.summary.requests}`);
    assert.equal(report.summary.dropped, 0);
    // The report's own achieved arrival rate, from when each arrival was taken off the schedule.
    const arrivals = report.arrivals!;
    assert.equal(arrivals.count, report.summary.requests);
    // How close it comes to 50 rps and how late arrivals go out: test/timing/run-timing.test.ts.
    assert.ok(arrivals.achieved_rps! > 0 && arrivals.max_lag_ms >= 0, JSON.stringify(arrivals));
    assert.match(result.stdout, /ARRIVALS:\s*\n.*achieved_rps=/);
    assert.deepEqual(report.config.pattern, { name: "constant", rps: 50 });
    assert.equal(typeof report.config.seed, "number");
  });

  test("a bad flag combination exits 2 with one line naming both flags", async () => {
    const result = await runCli(["run", "--pattern", "constant", "--rps", "10", "--duration", "1", "--burst-every", "5", "--no-save", "--quiet"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--burst-every does not apply to --pattern constant/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  });
});

describe("arrivals waiting for a slot", () => {
  test("leave oldest first, through the ring's wrap-around, growth and shrinking", () => {
    const queue = new ArrivalQueue();
    let pushed = 0;
    let taken = 0;
    const take = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const arrival = queue.shift();
        assert.deepEqual(arrival, { client: taken, intendedAt: taken * 0.5, takenAt: taken * 0.5 + 0.25 }, `arrival ${taken}`);
        taken++;
      }
    };
    const put = (count: number): void => {
      for (let i = 0; i < count; i++, pushed++) queue.push(pushed, pushed * 0.5, pushed * 0.5 + 0.25);
    };
    // Half-empty rings that wrap, then a backlog that grows the ring from a wrapped state, drains
    // (shrinking it), and grows again.
    for (let round = 0; round < 50; round++) {
      put(40);
      take(30);
    }
    put(100_000);
    take(90_000);
    put(5_000);
    assert.equal(queue.size, pushed - taken);
    take(pushed - taken);
    assert.equal(queue.size, 0);
    assert.equal(queue.shift(), undefined);
  });
});
