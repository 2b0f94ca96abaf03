// Distributed runs through a real redis-server: one controller and three worker processes. A full run
// merges to the whole run's totals; a worker killed mid-run leaves its segment missing (exit 1, no
// hang); too few workers is a clear error; the run's keys are removed afterwards.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "redis";
import type { Report } from "../src/report/types.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { collect, startCli, tempDir } from "./helpers/cli.js";
import { freePort } from "../src/cluster/processes.js";
import { startRedisServer } from "./helpers/redis.js";

function readJson(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

/** Resolves when `child` has written a line matching `pattern` to stderr; rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) resolve();
    });
    child.once("close", () => reject(new Error(`exited before printing ${pattern}:\n${seen}`)));
  });
}

describe("workers on Redis", () => {
  const emulator = emulatorForSuite({ ttftMs: 10, itlMs: 20 });
  let redis: ChildProcess;
  let url = "";
  const workers = new Map<string, ChildProcess>();

  function startWorker(name: string): Promise<void> {
    const worker = startCli(["worker", "--redis", url, "--name", name]);
    worker.stdout!.resume();
    workers.set(name, worker);
    return waitForLine(worker, /waiting for work/);
  }

  before(async () => {
    const port = await freePort("127.0.0.1");
    url = `redis://127.0.0.1:${port}`;
    redis = await startRedisServer(port);
    await Promise.all(["w1", "w2", "w3"].map(startWorker));
  });

  after(async () => {
    for (const worker of workers.values()) worker.kill("SIGKILL");
    redis?.kill("SIGKILL");
  });

  /** Keys of the run the controller named in its first line (and any invitation left queued). */
  async function keysLeft(stderr: string): Promise<string[]> {
    const runId = /run ([0-9a-f-]{36})/.exec(stderr)?.[1];
    assert.ok(runId, stderr);
    const client = createClient({ url });
    await client.connect();
    const keys = [...(await client.keys(`tokenstorm:run:${runId}:*`)), ...(await client.keys("tokenstorm:queue"))];
    await client.quit();
    return keys;
  }

  test("one controller, three workers, one killed mid-run: its segment is reported missing, exit 1, no hang", async () => {
    const cwd = tempDir();
    const controller = startCli(
      ["run", "--redis", url, "--expect-workers", "3", "--target", emulator().url, "--clients", "6", "--cycles", "3", "--length", "30", "--no-save", "--out", "r.json", "--heartbeat-timeout", "2"],
      { cwd },
    );
    // Generous bounds: on a loaded machine process start-up and driver warm-up take seconds.
    const running = collect(controller, 60_000);
    await waitForLine(controller, /starting/);
    // The run starts 1 s after the workers registered; each request streams for about 0.6 s.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    workers.get("w2")!.kill("SIGKILL");
    const killedAt = Date.now();
    const result = await running;
    assert.equal(result.code, 1, result.stderr);
    // The heartbeat timeout (2 s) after the kill, and the time to merge: no hang on the dead worker.
    assert.ok(Date.now() - killedAt < 10_000, `the controller took ${Date.now() - killedAt} ms after the kill`);
    const report = readJson(join(cwd, "r.json"));
    assert.equal(report.segments!.missing.length, 1);
    const [missing] = report.segments!.missing;
    assert.match(result.stderr, new RegExp(`segment ${missing} \\(w2\\) missing: w2 sent no heartbeat for 2 s`));
    assert.match(result.stderr, new RegExp(`MISSING segment ${missing}`));
    // The two live segments' requests, all of them (2 clients x 3 cycles each), merged.
    assert.equal(report.summary.requests, 12);
    assert.equal(report.summary.tokens_total, 12 * 30);
    assert.equal(report.segments!.merged.length, 2);
    assert.match(result.stderr, /3 workers registered \((w\d, ){2}w\d\)/);
    assert.match(result.stdout, /LOAD TEST RESULTS/);
    assert.deepEqual(await keysLeft(result.stderr), []);
  });

  test("fewer workers than expected: a clear error once the registration timeout ends", async () => {
    const result = await collect(startCli(["run", "--redis", url, "--expect-workers", "5", "--register-timeout", "1", "--target", emulator().url, "--clients", "5", "--no-save"]), 30_000);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /only [0-3] of 5 workers registered within 1 s; start them with: tokenstorm worker --redis/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    assert.deepEqual(await keysLeft(result.stderr), []);
  });
});

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe("Redis killed during a distributed run", () => {
  const emulator = emulatorForSuite({ ttftMs: 10, itlMs: 20 });

  test("the controller writes the partial report with every segment missing; workers back off, stop on SIGTERM, give up after --give-up-after", async () => {
    const port = await freePort("127.0.0.1");
    const url = `redis://127.0.0.1:${port}`;
    const redis = await startRedisServer(port);
    const started: ChildProcess[] = [redis];
    try {
      const workers = ["w1", "w2"].map((name) => startCli(["worker", "--redis", url, "--name", name, "--give-up-after", "6"]));
      started.push(...workers);
      const workersDone = workers.map((worker) => collect(worker, 90_000));
      await Promise.all(workers.map((worker) => waitForLine(worker, /waiting for work/)));
      const cwd = tempDir();
      const controller = startCli(
        ["run", "--redis", url, "--expect-workers", "2", "--target", emulator().url, "--clients", "4", "--duration", "30", "--length", "10", "--no-save", "--out", "o.json", "--heartbeat-timeout", "2"],
        { cwd },
      );
      started.push(controller);
      const running = collect(controller, 60_000);
      await waitForLine(controller, /starting/);
      // Past the common start (1 s) and a few of the workers' per-second ticks.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      redis.kill("SIGKILL");
      const killedAt = Date.now();

      const result = await running;
      assert.equal(result.code, 1, result.stderr);
      assert.ok(Date.now() - killedAt < 15_000, `the controller took ${Date.now() - killedAt} ms after Redis died`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.match(result.stderr, /cannot reach Redis at 127\.0\.0\.1:\d+/);
      const report = readJson(join(cwd, "o.json"));
      assert.deepEqual(report.segments, { count: 2, merged: [], missing: ["1/2", "2/2"] });
      assert.equal(report.summary.interrupted, true);
      assert.ok(report.summary.requests > 0, "the requests the workers reported before Redis died");
      for (const segment of ["1/2", "2/2"]) assert.match(result.stderr, new RegExp(`MISSING segment ${segment}`));

      // The workers wait for Redis without spinning: well under a fifth of a core each.
      const before = workers.map((w) => cpuSeconds(w.pid!));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      workers.forEach((w, i) => {
        const share = (cpuSeconds(w.pid!) - before[i]!) / 2;
        assert.ok(share < 0.2, `${["w1", "w2"][i]} used ${(share * 100).toFixed(0)}% of a core while Redis was gone`);
      });
      // SIGTERM stops one at once; the other gives up on its own after --give-up-after.
      const signalledAt = Date.now();
      workers[0]!.kill("SIGTERM");
      const stopped = await workersDone[0]!;
      assert.ok(Date.now() - signalledAt < 5_000, `SIGTERM took ${Date.now() - signalledAt} ms`);
      assert.notEqual(stopped.code, null, "ended by itself, not killed");
      const gaveUp = await workersDone[1]!;
      assert.equal(gaveUp.code, 1, gaveUp.stderr);
      assert.match(gaveUp.stderr, /Redis (at 127\.0\.0\.1:\d+ )?unreachable for 6 s/);
      assert.doesNotMatch(gaveUp.stderr, /\n\s+at /);
    } finally {
      for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
