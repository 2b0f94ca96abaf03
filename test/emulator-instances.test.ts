// `emulate --instances N` (issue 18): N independent servers, each with its own prefix cache and
// /metrics, behind a real HAProxy (round-robin, as a prefix-unaware router) under a prefix-sharing
// workload: every instance reports its own hits, and their requests add up to the client's.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { freePort } from "../src/cluster/processes.js";
import type { Report } from "../src/report/types.js";
import { CLI, runCli, tempDir } from "./helpers/cli.js";

const PREFIX = 256;
const HAPROXY = "/usr/sbin/haproxy";

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await Promise.race([once(child, "exit"), sleep(5000).then(() => child.kill("SIGKILL"))]);
}

function counter(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  assert.ok(line, `${name} missing`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("emulate --instances 2 behind HAProxy", () => {
  let emulate: ChildProcess | undefined;
  let haproxy: ChildProcess | undefined;
  let urls: string[] = [];
  let front = "";
  let dir = "";

  before(async () => {
    emulate = spawn(process.execPath, [CLI, "emulate", "--port", "0", "--instances", "2", "--ttft-ms", "1", "--itl-ms", "1", "--prefix-cache-tokens", "100000"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    urls = await new Promise<string[]>((resolve, reject) => {
      let out = "";
      emulate!.stdout!.on("data", (data: Buffer) => {
        out += data.toString();
        const found = [...out.matchAll(/listening on (http:\/\/\S+) \(instance (\d) of 2\)/g)].map((m) => m[1]!);
        if (found.length === 2) resolve(found);
      });
      emulate!.on("exit", (code) => reject(new Error(`emulate exited with ${code}`)));
    });
    dir = mkdtempSync(join(tmpdir(), "tokenstorm-haproxy-"));
    const port = await freePort("127.0.0.1");
    const servers = urls.map((url, i) => `  server e${i} ${new URL(url).host}`);
    writeFileSync(
      join(dir, "haproxy.cfg"),
      ["defaults", "  mode http", "  timeout connect 2s", "  timeout client 30s", "  timeout server 30s", "", "frontend llm", `  bind 127.0.0.1:${port}`, "  default_backend emulators", "", "backend emulators", "  balance roundrobin", ...servers, ""].join("\n"),
    );
    haproxy = spawn(HAPROXY, ["-db", "-f", join(dir, "haproxy.cfg")], { stdio: ["ignore", "ignore", "inherit"] });
    front = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${front}/health`).then((r) => r.ok, () => false)) return;
      await sleep(100);
    }
    throw new Error("HAProxy did not come up");
  });

  after(async () => {
    await stop(haproxy);
    await stop(emulate);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a prefix-sharing run through round-robin: per-instance hits on /metrics, requests adding up to the client's", async () => {
    // /health above went to the instances too; count from zero.
    await Promise.all(urls.map((url) => fetch(`${url}/stats/reset`, { method: "POST" })));
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", front, "--prefix-tokens", String(PREFIX), "--prefix-groups", "2", "--clients", "4", "--cycles", "5", "--length", "3", "--seed", "9", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 20);
    assert.equal(report.summary.failed, 0);
    const metrics = await Promise.all(urls.map((url) => fetch(`${url}/metrics`).then((r) => r.text())));
    const served = metrics.map((text) => counter(text, "vllm:request_success_total"));
    assert.equal(served[0]! + served[1]!, 20);
    assert.ok(served.every((n) => n > 0), `round-robin served ${served.join(" / ")}`);
    let hits = 0;
    for (const text of metrics) {
      const instanceHits = counter(text, "vllm:prefix_cache_hits_total");
      const queries = counter(text, "vllm:prefix_cache_queries_total");
      assert.ok(queries > 0 && instanceHits <= queries);
      // Whole prefixes only (short prompts fill no block of their own).
      assert.equal(instanceHits % PREFIX, 0);
      hits += instanceHits;
    }
    // One server would have missed each group once; two miss each group up to once each (a group whose
    // requests all landed on one instance costs nothing, so the split's cost is at most, not exactly, that).
    const groups = Object.keys(report.by_type).length;
    const single = (20 - groups) * PREFIX;
    assert.ok(hits <= single && hits >= single - groups * PREFIX, `hits ${hits}, one server ${single}`);
  });

  it("bad --instances values are one line naming the flag, exit 2", async () => {
    for (const args of [["--instances", "0"], ["--instances", "2", "--workers", "2"], ["--instances", "2", "--grpc-port", "0"]]) {
      const result = await runCli(["emulate", "--port", "0", ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /--instances/);
    }
  });

  it("the serving flags' problems come in the same line as every other flag's, not one run after another", async () => {
    const cases: Array<[string[], RegExp[]]> = [
      [["--workers", "0", "--ttft-ms", "-5"], [/--ttft-ms must be a number >= 0/, /--workers must be an integer >= 1 or auto/]],
      [["--instances", "x", "--itl-ms", "q"], [/--itl-ms must be a number >= 0/, /--instances must be an integer >= 1/]],
      [["--instances", "2", "--workers", "2", "--grpc-port", "0"], [/--instances and --workers: give one of them/, /--grpc-port serves one gateway/]],
    ];
    for (const [args, messages] of cases) {
      const result = await runCli(["emulate", "--port", "0", ...args]);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      for (const message of messages) assert.match(lines[0]!, message);
    }
  });
});
