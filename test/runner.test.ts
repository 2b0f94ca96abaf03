// The closed-model runner against the in-process emulator: request budget, duration, concurrency
// cap, think time and interruption, each checked on what actually reached the driver.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../src/emulator/index.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { Runner } from "../src/engine/runner.js";
import { Collector } from "../src/metrics/collector.js";
import { openAiChat } from "../src/protocols/openai/client.js";
import type { ProtocolDriver } from "../src/protocols/types.js";
import type { RequestRecord } from "../src/report/types.js";
import { ClosedModel, type ClosedModelOptions } from "../src/workload/closed.js";
import { driverOptions } from "./helpers/driver-harness.js";

/** A driver that also records how many requests were in flight at most. */
function countingDriver(inner: ProtocolDriver): ProtocolDriver & { maxInFlight: number } {
  let inFlight = 0;
  const counting = {
    maxInFlight: 0,
    async execute(...args: Parameters<ProtocolDriver["execute"]>): Promise<void> {
      inFlight++;
      counting.maxInFlight = Math.max(counting.maxInFlight, inFlight);
      try {
        await inner.execute(...args);
      } finally {
        inFlight--;
      }
    },
    cancelAll: () => inner.cancelAll(),
    close: () => inner.close(),
  };
  return counting;
}

describe("closed-model runner", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 2, length: 10, seed: 3 });

  async function run(model: Partial<ClosedModelOptions>, limits: { durationS?: number; maxRequests?: number; interruptAfterMs?: number } = {}) {
    const collector = new Collector();
    const driver = countingDriver(openAiChat.create(driverOptions(emulator().url)));
    const records: RequestRecord[] = [];
    const runner = new Runner({
      model: new ClosedModel({ clients: 4, cycles: 3, maxConcurrent: 50, thinkTimeMs: 0, ...model }),
      driver,
      collector,
      outputs: [{ name: "records", onRequest: (record) => records.push(record), finish: async () => undefined }],
      nextRequest: () => ({ type: "t", prompt: "hello", maxTokens: 10 }),
      durationS: limits.durationS ?? null,
      maxRequests: limits.maxRequests ?? null,
      gracefulStopMs: 5_000,
    });
    if (limits.interruptAfterMs !== undefined) setTimeout(() => runner.interrupt(), limits.interruptAfterMs);
    const outcome = await runner.run();
    await driver.close();
    return { outcome, collector, records, driver };
  }

  test("runs clients x cycles and counts cycles", async () => {
    const { outcome, collector, records } = await run({ clients: 4, cycles: 3 });
    assert.equal(outcome.stopReason, "completed");
    assert.equal(records.length, 12);
    assert.equal(collector.cycles, 12);
    assert.deepEqual(new Set(records.map((r) => `${r.client}/${r.cycle}`)).size, 12);
  });

  test("a request budget stops the run at exactly that many requests", async () => {
    const { outcome, records } = await run({ clients: 3, cycles: null }, { maxRequests: 7 });
    assert.equal(outcome.stopReason, "budget");
    assert.equal(records.length, 7);
  });

  test("the concurrency cap holds", async () => {
    const { records, driver, collector } = await run({ clients: 6, cycles: 2, maxConcurrent: 2 });
    assert.equal(records.length, 12);
    assert.equal(driver.maxInFlight, 2);
    // Waiting for a slot is queue time, not latency.
    assert.ok(collector.overall.latency.queue.percentileMs(99) > 10);
  });

  test("think time separates a client's requests", async () => {
    const { records, outcome } = await run({ clients: 1, cycles: 3, thinkTimeMs: 200 });
    const starts = records.map((r) => r.start_ms).sort((a, b) => a - b);
    assert.ok(starts[1]! - starts[0]! >= 200 && starts[2]! - starts[1]! >= 200, `starts ${starts.join(", ")}`);
    assert.ok(outcome.durationS >= 0.4);
  });

  test("a duration stops issuing; requests in flight finish", async () => {
    const { outcome, collector } = await run({ clients: 2, cycles: null }, { durationS: 0.5 });
    assert.equal(outcome.stopReason, "duration");
    assert.ok(outcome.durationS >= 0.5 && outcome.durationS < 1.5, `duration ${outcome.durationS}`);
    assert.equal(collector.overall.failed, 0);
    assert.equal(collector.overall.cancelled, 0);
    assert.ok(collector.timeline.points.length >= 1);
  });

  test("an interruption cancels what is in flight and ends the run at once", async () => {
    const slow = await startEmulator({ port: 0, ttftMs: 5, itlMs: 50, length: 100, seed: 4 });
    try {
      const collector = new Collector();
      const driver = openAiChat.create(driverOptions(slow.url));
      const runner = new Runner({
        model: new ClosedModel({ clients: 3, cycles: 5, maxConcurrent: 10, thinkTimeMs: 0 }),
        driver,
        collector,
        outputs: [],
        nextRequest: () => ({ type: "t", prompt: "hello", maxTokens: 100 }),
        durationS: null,
        maxRequests: null,
        gracefulStopMs: 5_000,
      });
      setTimeout(() => runner.interrupt(), 300);
      const outcome = await runner.run();
      await driver.close();
      assert.equal(outcome.interrupted, true);
      assert.ok(outcome.durationS < 1, `duration ${outcome.durationS}`);
      assert.equal(collector.overall.cancelled, 3);
      assert.equal(collector.overall.failed, 0);
      assert.ok(collector.tokensReceived > 0);
    } finally {
      await slow.close();
    }
  });
});
