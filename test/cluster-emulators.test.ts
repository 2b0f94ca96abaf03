// `cluster up --emulators N` (issue 18): emulated LLM servers as processes behind HAProxy's LLM port,
// without the session system. A prefix-sharing run through round-robin: each instance reports its
// own prefix-cache lookups on /metrics and their requests add up to the client's; status, logs and
// down know the instances; a header hash keeps a session on one instance; a failed `up` (its LLM port
// taken) leaves no emulator behind; bad flags are one line naming the flag.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import { clusterDown } from "../src/cluster/manage.js";
import { freePorts, isAlive } from "../src/cluster/processes.js";
import { readState, type ClusterState } from "../src/cluster/state.js";
import type { Report } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";

// Whole 16-token blocks, so every hit is a whole prefix.
const PREFIX = 256;
const EMULATOR_ARGS = "--ttft-ms 1 --itl-ms 1 --prefix-cache-tokens 100000";

function counter(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  assert.ok(line, `${name} missing`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
}

/** `cluster up` in `stateDir` on free HAProxy ports; the state it recorded. */
async function up(stateDir: string, ...extra: string[]): Promise<{ state: ClusterState; stdout: string }> {
  const [llm, stats] = await freePorts("127.0.0.1", 2);
  const result = await runCli(["cluster", "up", "--no-session", "--emulators", "2", "--state-dir", stateDir, "--llm-port", String(llm), "--stats-port", String(stats), ...extra], {
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, result.stderr);
  return { state: readState(stateDir)!, stdout: result.stdout };
}

/** Pids of the live processes whose command line holds every one of `words`. */
function processesWith(words: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (words.every((word) => cmdline.includes(word))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("cluster up --no-session --emulators 2, round-robin", () => {
  const stateDir = tempDir();
  let state: ClusterState;
  let stdout = "";

  before(async () => {
    ({ state, stdout } = await up(stateDir, "--emulator-args", EMULATOR_ARGS));
  });

  after(async () => {
    // Whatever a failed test left running is stopped here.
    const left = readState(stateDir);
    if (left) await clusterDown(left, () => undefined);
  });

  it("starts two emulators and HAProxy only: no Redis, no session nodes", () => {
    assert.deepEqual(state.processes.map((proc) => proc.name), ["emulator1", "emulator2", "haproxy"]);
    assert.equal(state.redisUrl, "");
    assert.match(stdout, /^cluster up: 2 emulators; state in /m);
    assert.match(stdout, new RegExp(`^LLM +${state.endpoints.llm!.replace(/\./g, "\\.")} +\\(roundrobin over 2 emulators\\)$`, "m"));
    assert.match(stdout, new RegExp(`^run: tokenstorm run --target ${state.endpoints.llm!.replace(/\./g, "\\.")}$`, "m"));
    assert.doesNotMatch(stdout, /API key|WebSocket/);
    for (const proc of state.processes) assert.match(proc.url ?? `http://127.0.0.1:${proc.port}`, /^http:\/\/127\.0\.0\.1:\d+$/);
    const config = readFileSync(join(stateDir, "haproxy.cfg"), "utf8");
    assert.match(config, /frontend llm\n {2}bind 127\.0\.0\.1:\d+\n {2}timeout client 1h/);
    assert.match(config, /backend emulators\n {2}balance roundrobin\n {2}timeout server 1h/);
    assert.doesNotMatch(config, /frontend api|frontend websocket/);
  });

  it("a prefix-sharing run through HAProxy: per-instance prefix-cache lookups, requests adding up to the client's", async () => {
    const emulators = state.processes.filter((proc) => proc.kind === "emulator");
    // Health checks are not generations; counted from here all the same.
    const before = await Promise.all(emulators.map((proc) => metricsOf(proc.url!)));
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", state.endpoints.llm!, "--prefix-tokens", String(PREFIX), "--prefix-groups", "2", "--clients", "4", "--cycles", "5", "--length", "3", "--seed", "9", "--out", "r.json", "--no-save", "--quiet"],
      { cwd, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 20);
    assert.equal(report.summary.failed, 0);
    const afterRun = await Promise.all(emulators.map((proc) => metricsOf(proc.url!)));
    const grew = (name: string): number[] => afterRun.map((text, i) => counter(text, name) - counter(before[i]!, name));
    const served = grew("vllm:request_success_total");
    assert.equal(served[0]! + served[1]!, report.summary.requests);
    assert.ok(served.every((n) => n > 0), `round-robin served ${served.join(" / ")}`);
    const queries = grew("vllm:prefix_cache_queries_total");
    const prompts = grew("vllm:prompt_tokens_total");
    const hits = grew("vllm:prefix_cache_hits_total");
    for (const [i, instanceQueries] of queries.entries()) {
      // Each instance looked up every prompt token it admitted, in its own cache.
      assert.ok(instanceQueries > 0, `emulator${i + 1} made no lookups`);
      assert.equal(instanceQueries, prompts[i]);
      assert.ok(hits[i]! <= instanceQueries);
      assert.equal(hits[i]! % PREFIX, 0, `emulator${i + 1}: hits ${hits[i]}`);
    }
    // Each instance misses a group's prefix once at most: 20 requests of 2 groups on 2 caches.
    assert.ok(hits[0]! + hits[1]! >= (20 - 4) * PREFIX, `hits ${hits.join(" / ")}`);
  });

  it("cluster status lists both emulators, healthy, with their request counts", async () => {
    const result = await runCli(["cluster", "status", "--state-dir", stateDir], { timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    for (const proc of state.processes.filter((p) => p.kind === "emulator")) {
      assert.match(result.stdout, new RegExp(`^${proc.name} +${proc.pid} +running +ok +${proc.url!.replace(/\./g, "\\.")} +requests=\\d+ active=0 waiting=0 tokens=\\d+$`, "m"));
    }
    assert.match(result.stdout, /^haproxy +\d+ +running/m);
    assert.equal(result.stdout.match(/^emulator\d /gm)?.length, 2);
    assert.equal((await fetch(state.endpoints.stats!)).status, 200);
  });

  it("cluster logs emulator2 shows that instance's log; HAProxy's log names the emulator that served each request", async () => {
    const emulator2 = await runCli(["cluster", "logs", "emulator2", "--state-dir", stateDir], { timeoutMs: 30_000 });
    assert.equal(emulator2.code, 0, emulator2.stderr);
    assert.match(emulator2.stdout, /^==> emulator2 /);
    assert.match(emulator2.stdout, new RegExp(`listening on ${state.processes[1]!.url!.replace(/\./g, "\\.")}`));
    const haproxy = await runCli(["cluster", "logs", "haproxy", "--lines", "100", "--state-dir", stateDir], { timeoutMs: 30_000 });
    assert.match(haproxy.stdout, /llm emulators\/emulator1 .* 200 .*"POST \/v1\/chat\/completions HTTP\/1\.1"/);
    assert.match(haproxy.stdout, /llm emulators\/emulator2 .* 200 /);
  });

  it("cluster down stops every process it started and forgets the cluster", async () => {
    const pids = state.processes.map((proc) => proc.pid);
    const down = await runCli(["cluster", "down", "--state-dir", stateDir], { timeoutMs: 60_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^emulator1 +pid \d+: stopped$/m);
    assert.match(down.stdout, /^emulator2 +pid \d+: stopped$/m);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    assert.equal(readState(stateDir), null);
  });
});

test("--balance 'hdr(x-session-id)': one session's requests all reach one emulator", async () => {
  const stateDir = tempDir();
  const { state } = await up(stateDir, "--balance", "hdr(x-session-id)", "--emulator-args", "--ttft-ms 1 --itl-ms 1");
  try {
    assert.match(readFileSync(join(stateDir, "haproxy.cfg"), "utf8"), /balance hdr\(x-session-id\)\n {2}hash-type consistent/);
    const result = await runCli(["run", "--target", state.endpoints.llm!, "--header", "x-session-id: s-42", "--clients", "3", "--cycles", "4", "--length", "2", "--no-save", "--quiet"], {
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const served = await Promise.all(state.processes.filter((proc) => proc.kind === "emulator").map(async (proc) => counter(await metricsOf(proc.url!), "vllm:request_success_total")));
    assert.deepEqual([...served].sort((a, b) => a - b), [0, 12]);
  } finally {
    const left = readState(stateDir);
    if (left) await clusterDown(left, () => undefined);
  }
});

test("a failed cluster up (its LLM port taken) stops the emulators it started and records nothing", async () => {
  const stateDir = tempDir();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const [stats] = await freePorts("127.0.0.1", 1);
    const result = await runCli(["cluster", "up", "--no-session", "--emulators", "2", "--state-dir", stateDir, "--llm-port", String(port), "--stats-port", String(stats)], { timeoutMs: 60_000 });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /^tokenstorm: haproxy exited/);
    const emulatorPorts = [...result.stdout.matchAll(/^emulator\d on http:\/\/127\.0\.0\.1:(\d+)$/gm)].map((match) => match[1]!);
    assert.equal(emulatorPorts.length, 2, result.stdout);
    for (const emulatorPort of emulatorPorts) assert.deepEqual(processesWith(["emulate", "--port", emulatorPort]), [], `emulator on ${emulatorPort} left running`);
    assert.equal(readState(stateDir), null);
  } finally {
    taken.close();
  }
});

test("bad emulator flags: one line naming the flag, exit 2, nothing started", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--emulators", "-1"], /--emulators must be an integer >= 0 \(got "-1"\)/],
    [["--emulators", "2", "--balance", "sticky"], /--balance must be one of roundrobin, leastconn, random, source, hdr\(NAME\) \(got "sticky"\)/],
    [["--emulators", "2", "--emulator-args", "--ttft-ms fast"], /--emulator-args: --ttft-ms must be a number >= 0 \(got "fast"\)/],
    [["--emulators", "2", "--emulator-args", "--ttft-sec 1"], /--emulator-args: unknown option '--ttft-sec' \(did you mean --ttft-ms\?\)/],
    [["--emulators", "2", "--emulator-args", "--port 9"], /--emulator-args: --port is not for cluster emulators/],
    [["--emulator-args", "--ttft-ms 1"], /--emulator-args is for emulators: add --emulators N/],
    [["--no-session"], /--no-session leaves nothing to start: add --emulators N/],
    [["--no-session", "--emulators", "1", "--redis", "redis://127.0.0.1:1"], /--redis is for session nodes: leave it out with --no-session/],
    [["--no-session", "--emulators", "1", "--llm-port", "8404"], /--llm-port 8404 is also --stats-port/],
  ];
  const stateDir = tempDir();
  for (const [args, expected] of cases) {
    const result = await runCli(["cluster", "up", "--state-dir", stateDir, ...args], { timeoutMs: 30_000 });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, expected);
  }
  assert.equal(readState(stateDir), null);
});
