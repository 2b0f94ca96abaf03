// Distributed runs through a real redis-server: one controller and three worker processes. A full run
// merges to the whole run's totals; a worker killed mid-run leaves its segment missing (exit 1, no
// hang); too few workers is a clear error; the run's keys are removed afterwards.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "redis";
import type { Report } from "../src/report/types.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { collect, startCli, tempDir } from "./helpers/cli.js";
import { freePort } from "../src/cluster/processes.js";

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
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    // Ready when it answers.
    for (let i = 0; i < 50; i++) {
      const client = createClient({ url, socket: { reconnectStrategy: false } });
      client.on("error", () => undefined);
      const up = await client.connect().then(() => true, () => false);
      if (up) {
        await client.quit();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
