// Runs the open model with the openai-chat driver against a server, in this process, for the open
// model's correctness and timing tests.
import assert from "node:assert/strict";
import { Problems } from "../../src/config/values.js";
import { Runner } from "../../src/engine/runner.js";
import { Collector } from "../../src/metrics/collector.js";
import { openAiChat } from "../../src/protocols/openai/client.js";
import type { RequestRecord } from "../../src/report/types.js";
import { OpenModel, type ArrivalPlan } from "../../src/workload/open.js";
import { resolvePattern } from "../../src/workload/patterns.js";
import { driverOptions } from "./driver-harness.js";

export function arrivalPlan(name: string, flags: Record<string, string>, durationS: number): ArrivalPlan {
  const problems = new Problems();
  const resolved = resolvePattern(name, flags, problems, { durationS, requests: null });
  assert.ok(resolved && problems.empty, problems.lines.join("; "));
  return resolved;
}

/** `runnerDurationS` null lets queued arrivals run after the schedule's end. */
export async function runOpenModel(
  url: string,
  arrivals: ArrivalPlan,
  durationS: number,
  cap: { maxConcurrent?: number; queueWhenFull?: boolean; runnerDurationS?: number | null; seed?: number } = {},
) {
  const collector = new Collector();
  const driver = openAiChat.create(driverOptions(url));
  const records: RequestRecord[] = [];
  // The most arrivals seen waiting for a slot at once (--queue-when-full).
  let waitingPeak = 0;
  const model = new OpenModel({
    plan: arrivals,
    durationMs: durationS * 1000,
    seed: cap.seed ?? 42,
    maxConcurrent: cap.maxConcurrent ?? 1000,
    queueWhenFull: cap.queueWhenFull ?? false,
    onDrop: () => collector.recordDropped(),
    onWaiting: (count) => {
      collector.waitingArrivals = count;
      waitingPeak = Math.max(waitingPeak, count);
    },
  });
  const runner = new Runner({
    model,
    driver,
    collector,
    outputs: [{ name: "records", onRequest: (record) => records.push(record), finish: async () => undefined }],
    nextRequest: () => ({ type: "t", prompt: "hello", maxTokens: 5 }),
    durationS: cap.runnerDurationS === undefined ? durationS : cap.runnerDurationS,
    maxRequests: null,
    gracefulStopMs: 5_000,
  });
  const outcome = await runner.run();
  await driver.close();
  return { outcome, collector, records, model, waitingPeak };
}
