// Execution segments: the shares of every segment add up to the whole run, clients and arrivals are
// disjoint and together exactly the whole run's, and bad --segment use is a one-line usage error.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Problems } from "../src/config/values.js";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { UsageError } from "../src/errors.js";
import { parseSegment, segmentConfig, segmentModel, segmentPlan, segmentShare, type Segment } from "../src/distributed/segment.js";
import { autoWorkers } from "../src/distributed/options.js";
import { workerFlags } from "../src/distributed/protocol.js";
import { ClosedModel } from "../src/workload/closed.js";
import { resolvePattern } from "../src/workload/patterns.js";
import type { WorkloadContext } from "../src/workload/types.js";
import { runCli } from "./helpers/cli.js";

function segments(count: number): Segment[] {
  return Array.from({ length: count }, (_, i) => ({ index: i + 1, count }));
}

/** Runs a load model to completion, recording which (client, cycle) pairs it issued. */
async function issuedBy(model: { run(ctx: WorkloadContext): Promise<void> }): Promise<string[]> {
  const issued: string[] = [];
  await model.run({
    issue: async (client, cycle) => {
      issued.push(`${client}:${cycle}`);
      return true;
    },
    cycleDone: () => undefined,
    stopping: false,
    sleep: () => Promise.resolve(),
  });
  return issued;
}

describe("segment shares", () => {
  test("shares of every count of units add up to the whole, and differ by at most one", () => {
    for (const total of [1, 2, 5, 7, 20, 101]) {
      for (const count of [1, 2, 3, 4, 7]) {
        if (count > total) continue;
        const shares = segments(count).map((s) => segmentShare(total, s));
        assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total} over ${count}`);
        assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
      }
    }
  });

  test("closed model: the four segments' requests are disjoint and together the whole run's", async () => {
    const base = resolveRunConfig({ clients: "10", cycles: "3", target: "http://127.0.0.1:1" });
    const whole = await issuedBy(new ClosedModel({ clients: 10, cycles: 3, maxConcurrent: 50, thinkTimeMs: 0 }));
    const parts: string[] = [];
    for (const segment of segments(4)) {
      const config = segmentConfig({ ...base, distributed: { ...base.distributed, segment } });
      const model = segmentModel(new ClosedModel({ clients: config.clients, cycles: config.cycles, maxConcurrent: config.maxConcurrent, thinkTimeMs: 0 }), segment);
      parts.push(...(await issuedBy(model)));
    }
    assert.equal(parts.length, whole.length);
    assert.deepEqual([...parts].sort(), [...whole].sort());
  });

  test("open model: every N-th arrival of the same seeded schedule; the union is the schedule exactly", () => {
    const problems = new Problems();
    const plan = resolvePattern("poisson", { rps: 50 }, problems, { durationS: 10, requests: null })!;
    assert.ok(problems.empty, problems.lines.join("; "));
    const window = { endMs: 10_000, seed: 42 };
    const whole = [...plan.schedule(window)];
    const union = segments(3).flatMap((s) => [...segmentPlan(plan, s).schedule(window)]);
    assert.ok(whole.length > 400);
    assert.deepEqual(union.sort((a, b) => a - b), whole);
    // Interleaved, so each segment covers the whole time span.
    const first = [...segmentPlan(plan, { index: 1, count: 3 }).schedule(window)];
    assert.ok(first.at(-1)! > 9000);
  });

  test("the request budget and the concurrency cap are split like the clients", () => {
    const base = resolveRunConfig({ clients: "9", requests: "10", maxConcurrent: "5", target: "http://127.0.0.1:1" });
    const shaped = segments(3).map((segment) => segmentConfig({ ...base, distributed: { ...base.distributed, segment } }));
    assert.deepEqual(shaped.map((c) => c.requests), [4, 3, 3]);
    assert.deepEqual(shaped.map((c) => c.clients), [3, 3, 3]);
    assert.deepEqual(shaped.map((c) => c.maxConcurrent), [2, 2, 1]);
    // The staged model's users likewise.
    const staged = resolveRunConfig({ users: "10", hold: "1", target: "http://127.0.0.1:1" });
    const users = segments(3).map((segment) => segmentConfig({ ...staged, distributed: { ...staged.distributed, segment } }).stages!.users);
    assert.deepEqual(users, [4, 3, 3]);
  });

  test("--workers auto: one per core at 200 streams or more, else one", () => {
    const small = resolveRunConfig({ clients: "20", target: "http://127.0.0.1:1" });
    const big = resolveRunConfig({ clients: "500", maxConcurrent: "500", target: "http://127.0.0.1:1" });
    assert.equal(autoWorkers(small, 8), 1);
    assert.equal(autoWorkers(big, 8), 8);
    const slowOpen = resolveRunConfig({ pattern: "constant", rps: "10", duration: "5", target: "http://127.0.0.1:1" });
    const fastOpen = resolveRunConfig({ pattern: "constant", rps: "500", duration: "5", target: "http://127.0.0.1:1" });
    assert.equal(autoWorkers(slowOpen, 4), 1);
    assert.equal(autoWorkers(fastOpen, 4), 4);
  });

  test("parseSegment accepts i/N with 1 <= i <= N only", () => {
    const problems = new Problems();
    assert.deepEqual(parseSegment("2/4", problems), { index: 2, count: 4 });
    for (const bad of ["0/4", "5/4", "2", "a/b", "2/0"]) assert.equal(parseSegment(bad, problems), undefined, bad);
    assert.equal(problems.lines.length, 5);
  });
});

describe("the plan a worker runs", () => {
  test("controller-only flags dropped; target, seed and the controller's environment settled", () => {
    const flags = workerFlags(
      { clients: "8", out: "r.json", threshold: ["ttft.p95<1s"], workers: "2", quiet: true, raw: "x.ndjson", prompts: "short" },
      { target: "http://127.0.0.1:9/", seed: 7, length: 20, exactTokens: true, closedModel: true },
      { REQUEST_TIMEOUT: "30", CYCLES_PER_CLIENT: "3", NUM_CLIENTS: "99" },
    );
    assert.deepEqual(flags, { clients: "8", prompts: "short", target: "http://127.0.0.1:9/", seed: "7", length: "20", exactTokens: true, timeout: "30", cycles: "3" });
    const open = workerFlags({ pattern: "constant", rps: "5" }, { target: "http://h/", seed: 1, length: null, exactTokens: false, closedModel: false }, { NUM_CLIENTS: "5" });
    assert.equal(open.clients, undefined);
  });
});

describe("bad distributed flags are usage errors", () => {
  test("out of range, too few clients, an open model without --seed, conflicting modes", () => {
    const cases: Array<[RawRunFlags, RegExp]> = [
      [{ segment: "5/4" }, /--segment must be 'i\/N'/],
      [{ segment: "1/4", clients: "2" }, /2 clients cannot be split into 4 segments/],
      [{ segment: "1/2", pattern: "constant", rps: "5", duration: "1" }, /needs --seed/],
      [{ segment: "1/2", workers: "2" }, /--segment and --workers cannot be combined/],
      [{ workers: "3", clients: "2" }, /2 clients cannot be split into 3 segments/],
      [{ redis: "redis://127.0.0.1:1" }, /--redis needs --expect-workers.*--redis needs --target/],
      [{ redis: "http://x", expectWorkers: "2", target: "http://127.0.0.1:1" }, /--redis must be a redis:\/\/ or rediss:\/\/ URL/],
    ];
    for (const [flags, message] of cases) assert.throws(() => resolveRunConfig(flags), (err: Error) => err instanceof UsageError && message.test(err.message), JSON.stringify(flags));
  });

  test("on the command line: exit 2 and one line, no stack trace", async () => {
    const result = await runCli(["run", "--no-save", "--segment", "3/2"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^tokenstorm: --segment must be 'i\/N'/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
