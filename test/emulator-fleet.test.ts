// `emulate --workers N`: several processes on one port whose /stats and /metrics are the whole
// server's, whose capacity limits hold across workers, and which all stop with the primary.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { request } from "undici";
import { spawnEmulator } from "../src/emulator/process.js";
import type { EmulatorStats } from "../src/emulator/index.js";
import { runCli, tempDir } from "./helpers/cli.js";

async function stats(url: string): Promise<EmulatorStats> {
  return (await (await fetch(`${url}/stats`)).json()) as EmulatorStats;
}

/** A streamed completion on a connection of its own (so the primary hands it to the next worker). */
async function complete(url: string, maxTokens: number): Promise<{ status: number; body: string }> {
  const response = await request(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close" },
    body: JSON.stringify({ model: "m", prompt: "hi", stream: true, max_tokens: maxTokens }),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** Pids of the direct children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe("emulate --workers", () => {
  test("two workers serve one port; /stats and /metrics add both up; reset reaches both", async () => {
    const emulator = await spawnEmulator(["--workers", "2", "--ttft-ms", "5", "--itl-ms", "2", "--seed", "1"]);
    try {
      const workers = childrenOf(emulator.child.pid!);
      assert.equal(workers.length, 2, `worker processes ${workers.join(",")}`);
      const replies = await Promise.all(Array.from({ length: 20 }, () => complete(emulator.url, 5)));
      assert.deepEqual(new Set(replies.map((reply) => reply.status)), new Set([200]));
      const total = await stats(emulator.url);
      assert.equal(total.workers, 2);
      assert.equal(total.requests, 20);
      assert.equal(total.completed, 20);
      assert.equal(total.tokensSent, 100);
      assert.equal(total.lateness.count, 100, "lateness merged from both workers' histograms");
      const metrics = await (await fetch(`${emulator.url}/metrics`)).text();
      assert.match(metrics, /^vllm:generation_tokens_total\{model_name="tokenstorm-emulator"\} 100$/m);
      assert.match(metrics, /^vllm:time_to_first_token_seconds_count\{model_name="tokenstorm-emulator"\} 20$/m);
      assert.match(metrics, /^tokenstorm_emulator_requests_total 20$/m);
      await fetch(`${emulator.url}/stats/reset`, { method: "POST" });
      // Several reads: each may land on either worker, and each must see the fleet's zeroed sum.
      for (let read = 0; read < 4; read++) {
        const after = await stats(emulator.url);
        assert.equal(after.requests, 0);
        assert.equal(after.lateness.count, 0);
      }
    } finally {
      await emulator.stop();
    }
  });

  test("--max-running and --max-waiting are the whole server's, not each worker's", async () => {
    const emulator = await spawnEmulator(["--workers", "2", "--ttft-ms", "300", "--itl-ms", "1", "--max-running", "1", "--max-waiting", "1", "--seed", "1"]);
    try {
      // Three at once: one runs, one waits for it, one is turned away, whichever workers they reach.
      const replies = await Promise.all(Array.from({ length: 3 }, () => complete(emulator.url, 2)));
      assert.deepEqual(replies.map((reply) => reply.status).sort(), [200, 200, 429]);
      const total = await stats(emulator.url);
      assert.equal(total.rejected, 1);
      assert.equal(total.completed, 2);
      assert.equal(total.active, 0);
      assert.equal(total.waiting, 0);
    } finally {
      await emulator.stop();
    }
  });

  test("the workers stop with the primary", async () => {
    const emulator = await spawnEmulator(["--workers", "2"]);
    const workers = childrenOf(emulator.child.pid!);
    assert.equal(workers.length, 2);
    await emulator.stop();
    const deadline = Date.now() + 5_000;
    const alive = (): number[] => workers.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    while (alive().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(alive(), []);
  });

  test("a bad --workers value is a usage error", async () => {
    await assert.rejects(spawnEmulator(["--workers", "0"]), /exited with code 2/);
  });
});

describe("run --emulator-workers", () => {
  test("the embedded emulator on two processes serves the run", async () => {
    const dir = tempDir();
    try {
      const out = join(dir, "report.json");
      const result = await runCli(["run", "--clients", "3", "--cycles", "2", "--length", "5", "--delay", "0.002", "--emulator-workers", "2", "--quiet", "--no-save", "--out", out]);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(readFileSync(out, "utf8")) as { summary: { successful: number; failed: number }; config: { emulatorWorkers?: number } };
      assert.equal(report.summary.successful, 6);
      assert.equal(report.summary.failed, 0);
      assert.equal(report.config.emulatorWorkers, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
