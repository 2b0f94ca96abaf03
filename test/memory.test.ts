// What a long run keeps in memory: open-model schedules are generated lazily (an hour at 2,000
// requests/s allocates nothing per arrival up front), timeline points stay small, and the per-second
// histograms of segment runs wait in a temporary file until the report reads them back.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Problems } from "../src/config/values.js";
import { Collector } from "../src/metrics/collector.js";
import { LatencyHistogram } from "../src/metrics/histogram.js";
import { SPILL_BATCH, TimelineRecorder, type EncodedSecond } from "../src/metrics/timeline.js";
import { buildReport } from "../src/report/build.js";
import { OpenModel, type ArrivalPlan } from "../src/workload/open.js";
import { resolvePattern } from "../src/workload/patterns.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap still in use after a full collection, bytes. */
function liveHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const HOUR_S = 3600;

function hourPlan(name: string, flags: Record<string, string>): ArrivalPlan {
  const problems = new Problems();
  const plan = resolvePattern(name, flags, problems, { durationS: HOUR_S, requests: null });
  assert.ok(plan && problems.lines.length === 0, problems.lines.join("; "));
  return plan;
}

/** Spread-out latencies, like a real service's, so the encoded histograms are not trivially small. */
function fillSecond(timeline: TimelineRecorder, second: number): void {
  for (let i = 0; i < 500; i++) timeline.itl.recordMs(10 + ((i * 7919 + second * 31) % 4000) / 40);
  for (let i = 0; i < 20; i++) {
    timeline.ttft.recordMs(100 + ((i * 104729 + second) % 2000) / 4);
    timeline.e2e.recordMs(2000 + ((i * 1299709 + second) % 5000));
  }
  timeline.started = timeline.completed = 20;
  timeline.tokens = 520;
}

function spillFiles(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`tokenstorm-seconds-${process.pid}-`));
}

describe("memory of long runs", () => {
  test("open-model schedules for an hour at 2,000 requests/s keep nothing per arrival", () => {
    for (const [name, flags] of [
      ["constant", { rps: "2000" }],
      ["poisson", { rps: "2000" }],
      ["chaos", { rps: "2000", burstSize: "50" }],
      ["spike", { rps: "2000" }],
      ["steps", { steps: "1000:1800,3000:1800" }],
    ] as const) {
      const before = liveHeap();
      const plan = hourPlan(name, flags);
      const model = new OpenModel({ plan, durationMs: HOUR_S * 1000, seed: 7, maxConcurrent: 100, queueWhenFull: false, onDrop: () => undefined });
      // 7.2 million arrivals are too many to count before the run starts; the plan stays uncounted.
      assert.equal(model.plannedRequests, null, name);
      // Walking a tenth of the hour's schedule (720,000 arrivals) keeps no arrival either.
      const arrivals = plan.schedule({ endMs: HOUR_S * 1000, seed: 7 })[Symbol.iterator]();
      let previous = -Infinity;
      for (let i = 0; i < 720_000; i++) {
        const next = arrivals.next();
        assert.ok(!next.done && next.value >= previous, `${name}: arrival ${i} out of order`);
        previous = next.value;
      }
      const retained = liveHeap() - before;
      assert.ok(retained < 512 * 1024, `${name}: ${Math.round(retained / 1024)} KB retained after an hour's plan and 720,000 arrivals`);
    }
  });

  test("arrivals waiting for a slot (--queue-when-full) cost tens of bytes each, not a promise chain", async () => {
    // A target that holds its one slot while 200,000 arrivals come due: all of them wait.
    const waiting = 200_000;
    const problems = new Problems();
    const constant = resolvePattern("constant", { rps: 1_000_000 }, problems, { durationS: waiting / 1e6, requests: null });
    assert.ok(constant && problems.lines.length === 0, problems.lines.join("; "));
    // The run's own walk of the schedule (the constructor walks it too, to count it).
    let running = false;
    let walked = false;
    const plan: ArrivalPlan = {
      ...constant,
      *schedule(window) {
        const theRun = running;
        yield* constant.schedule(window);
        if (theRun) walked = true;
      },
    };
    let stopping = false;
    let sent = 0;
    let dropped = 0;
    let releaseSlot = (): void => undefined;
    const slotHeld = new Promise<void>((resolve) => (releaseSlot = resolve));
    const model = new OpenModel({ plan, durationMs: waiting / 1000, seed: 7, maxConcurrent: 1, queueWhenFull: true, onDrop: () => dropped++ });
    const used = (): number => liveHeap() + process.memoryUsage().arrayBuffers;
    const before = used();
    running = true;
    const run = model.run({
      get stopping() {
        return stopping;
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cycleDone: () => undefined,
      issue: async () => {
        if (++sent === 1) await slotHeld;
        return !stopping;
      },
    });
    while (!walked) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sent, 1);
    const perArrival = (used() - before) / (waiting - 1);
    assert.ok(perArrival < 64, `${perArrival.toFixed(0)} bytes per waiting arrival`);
    // Stopped with every one still waiting: each is counted as dropped, none lost.
    stopping = true;
    releaseSlot();
    await run;
    assert.equal(sent, waiting);
    assert.equal(dropped, waiting - 1);
  });

  test("a short plan is still counted for the progress bar", () => {
    const plan = hourPlan("constant", { rps: "100" });
    const model = new OpenModel({ plan, durationMs: HOUR_S * 1000, seed: 7, maxConcurrent: 100, queueWhenFull: false, onDrop: () => undefined });
    assert.equal(model.plannedRequests, 360_000);
  });

  test("a timeline point costs a few hundred bytes: an hour of them stays near 1 MB", () => {
    const timeline = new TimelineRecorder();
    fillSecond(timeline, 0);
    timeline.close(1, 10);
    const before = liveHeap();
    for (let second = 2; second <= HOUR_S + 1; second++) {
      fillSecond(timeline, second);
      timeline.close(second + 0.001, 10);
    }
    const perPoint = (liveHeap() - before) / HOUR_S;
    process.stdout.write(`# ${perPoint.toFixed(0)} bytes of heap per timeline point\n`);
    assert.ok(perPoint < 400, `${perPoint.toFixed(0)} bytes per point`);
  });

  test("segment runs: per-second histograms go to a temporary file and all come back for the report", () => {
    const seconds = 10 * SPILL_BATCH + 7;
    const timeline = new TimelineRecorder();
    timeline.keepHistograms = true;
    const expected: EncodedSecond[] = [];
    for (let second = 1; second <= seconds; second++) {
      fillSecond(timeline, second);
      const encoded: EncodedSecond = { ttft: timeline.ttft.encode(), itl: timeline.itl.encode(), e2e: timeline.e2e.encode() };
      timeline.close(second, 10);
      // The worker's feed sends the second just closed: it is always the last entry.
      assert.deepEqual(timeline.histograms.at(-1), encoded);
      assert.ok(timeline.histograms.length <= SPILL_BATCH, `${timeline.histograms.length} seconds in memory`);
      expected.push(encoded);
    }
    const encodedBytes = expected.reduce((sum, second) => sum + second["ttft"]!.length + second["itl"]!.length + second["e2e"]!.length, 0);
    assert.equal(spillFiles().length, 1);
    timeline.restoreHistograms();
    assert.equal(timeline.histograms.length, seconds);
    assert.deepEqual(timeline.histograms, expected);
    assert.deepEqual(spillFiles(), [], "the temporary file is removed once read back");
    process.stdout.write(`# ${(encodedBytes / seconds).toFixed(0)} encoded bytes a second went to the file instead of the heap\n`);
    const merged = new LatencyHistogram();
    for (const second of timeline.histograms) merged.add(LatencyHistogram.decode(second["itl"]!));
    assert.equal(merged.count, seconds * 500);
  });

  test("the report of a segment run carries one histogram entry per timeline point, spilled ones included", () => {
    const collector = new Collector();
    collector.timeline.keepHistograms = true;
    const seconds = 2 * SPILL_BATCH + 30;
    for (let second = 1; second <= seconds; second++) {
      fillSecond(collector.timeline, second);
      collector.timeline.close(second, 10);
    }
    assert.ok(collector.timeline.histograms.length < seconds);
    const report = buildReport({
      collector,
      config: {},
      durationS: seconds,
      interrupted: false,
      startedAtIso: new Date().toISOString(),
      finishedAtIso: new Date().toISOString(),
      segment: { index: 1, count: 2 },
    });
    assert.equal(report.timeline.length, seconds);
    assert.equal(report.merge!.timeline_histograms!.length, seconds);
    const last = report.merge!.timeline_histograms!.at(-1)!;
    assert.equal(LatencyHistogram.decode(last["itl"]!).count, 500);
    assert.deepEqual(spillFiles(), []);
  });
});
