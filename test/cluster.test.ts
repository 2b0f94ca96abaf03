// Seed 000's system as processes: `cluster up` with a redis-server and HAProxy on free ports, two
// API and two gateway nodes; every token of 50 clients x 5 cycles arrives exactly once and in
// order; killing a gateway mid-run gives classified errors and no hang; `cluster down` stops what
// it started and leaves other processes alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { freePort, isAlive } from "../src/cluster/processes.js";
import { apiKeyFile, readState, writeState, type ClusterState } from "../src/cluster/state.js";
import { clusterDown, endpointLines, statusLines } from "../src/cluster/manage.js";
import { clusterUp } from "../src/cluster/up.js";
import { collect, runCli, startCli, tempDir } from "./helpers/cli.js";

interface NodeStats {
  api?: { tokensPublished: number; publishErrors: number };
  gateway?: { publicationsDelivered: number };
}

/** A session run's config that sends the cluster's API key, as `cluster up` tells users to. */
function withClusterKey(flags: RawRunFlags, stateDir: string) {
  const key = readFileSync(apiKeyFile(stateDir), "utf8").trim();
  return resolveRunConfig({ ...flags, apiKeyEnv: "TOKENSTORM_API_KEY" }, { TOKENSTORM_API_KEY: key });
}

async function statsOf(url: string): Promise<NodeStats> {
  return (await (await fetch(`${url}/stats`)).json()) as NodeStats;
}

describe("cluster: 2 API + 2 gateway nodes, Redis, HAProxy", () => {
  const stateDir = tempDir();
  let state: ClusterState;

  before(async () => {
    const [http, ws, stats] = [await freePort("127.0.0.1"), await freePort("127.0.0.1"), await freePort("127.0.0.1")];
    const up = await runCli(
      ["cluster", "up", "--api-nodes", "2", "--ws-nodes", "2", "--state-dir", stateDir, "--http-port", String(http), "--ws-port", String(ws), "--stats-port", String(stats), "--length", "20", "--delay", "0.005"],
      { timeoutMs: 120_000 },
    );
    assert.equal(up.code, 0, up.stderr);
    state = readState(stateDir)!;
    assert.match(up.stdout, new RegExp(`HTTP API +http://127\\.0\\.0\\.1:${http}`));
  });

  after(async () => {
    // Whatever a failed test left running is stopped here.
    const left = readState(stateDir);
    if (left) await clusterDown(left, () => undefined);
  });

  test("cluster status shows every process and healthy nodes", async () => {
    assert.deepEqual(state.processes.map((proc) => proc.name), ["redis", "gateway1", "gateway2", "api1", "api2", "haproxy"]);
    assert.notEqual(state.redisUrl, "redis://127.0.0.1:6379");
    const status = (await statusLines(readState(stateDir)!)).join("\n");
    for (const name of ["api1", "api2", "gateway1", "gateway2"]) assert.match(status, new RegExp(`${name} +\\d+ +running +ok +http`));
    assert.match(status, /haproxy +\d+ +running/);
    assert.equal((await fetch(state.endpoints.stats!)).status, 200);
  });

  test("50 clients x 5 cycles through HAProxy: every token exactly once, in order", async () => {
    const config = withClusterKey(
      { protocol: "session", target: state.endpoints.http, wsTarget: state.endpoints.ws, clients: "50", cycles: "5", length: "20", delay: "0.005", save: false, quiet: true },
      stateDir,
    );
    const nodes = state.processes.filter((proc) => proc.kind === "api" || proc.kind === "gateway");
    const before = await Promise.all(nodes.map((proc) => statsOf(proc.url!)));
    const { report } = await runLoadTest({ config });
    assert.equal(report.summary.requests, 250);
    assert.equal(report.summary.successful, 250, JSON.stringify(report.errors));
    // Any duplicate or out-of-order token would be an error class; none, and nothing lost.
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 250 * 20);
    assert.equal(report.summary.tokens_lost, 0);
    // Each token's publish-to-receive delay through Redis, a gateway and HAProxy: measured for every one.
    assert.equal(report.latency["delivery"]!.count, 5000);
    assert.ok(report.latency["delivery"]!.p50 > 0 && report.latency["delivery"]!.p50 < 2_000, `delivery p50 ${report.latency["delivery"]!.p50}`);
    const afterStats = await Promise.all(nodes.map((proc) => statsOf(proc.url!)));
    const sum = (stats: NodeStats[], pick: (s: NodeStats) => number | undefined): number => stats.reduce((total, s) => total + (pick(s) ?? 0), 0);
    // Both API nodes took work (round-robin), and the gateways delivered each token and end marker once.
    const published = afterStats.map((s, i) => (s.api?.tokensPublished ?? 0) - (before[i]!.api?.tokensPublished ?? 0));
    assert.equal(published.reduce((a, b) => a + b, 0), 5000);
    assert.ok(published.filter((n) => n > 0).length === 2, `published per node: ${published}`);
    assert.equal(sum(afterStats, (s) => s.gateway?.publicationsDelivered) - sum(before, (s) => s.gateway?.publicationsDelivered), 250 * 21);
  });

  test("cluster logs: a line per request on API nodes, HAProxy's own log, seed 000's service names", async () => {
    const logs = async (...args: string[]): Promise<string> => {
      const result = await runCli(["cluster", "logs", ...args, "--state-dir", stateDir, "--lines", "400"], { timeoutMs: 20_000 });
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    // The run above sent 250 POST /api/run through HAProxy, round-robin over both API nodes.
    const granian1 = await logs("granian1");
    assert.match(granian1, /^==> api1 /);
    assert.match(granian1, /^\S+Z 127\.0\.0\.1 POST \/api\/run 200 [\d.]+ms$/m);
    assert.doesNotMatch(granian1, /GET \/health/, "health checks are left out");
    assert.match(await logs("centrifugo_node1"), /^\S+Z 127\.0\.0\.1 WEBSOCKET \/connection\/websocket 101$/m);
    assert.match(await logs("haproxy"), /api api_nodes\/api[12] .* 200 .*"POST \/api\/run HTTP\/1\.1"/);
    assert.match(await logs("redis"), /^==> redis /);
    const unknown = await runCli(["cluster", "logs", "granian9", "--state-dir", stateDir], { timeoutMs: 20_000 });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^tokenstorm: cluster logs: no process "granian9" \(known: redis, gateway1, gateway2, api1, api2, haproxy; also granianN/);
  });

  test("cluster logs -f: a request made while following shows up, and Ctrl-C ends it with exit 0", async () => {
    const api1 = state.processes.find((proc) => proc.name === "api1")!;
    const follower = startCli(["cluster", "logs", "granian1", "-f", "--lines", "1", "--state-dir", stateDir]);
    let out = "";
    // Bounded like the follower itself (collect's 20 s): a line that never shows fails the test, naming what did.
    const seen = (pattern: RegExp, from = 0): Promise<void> =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + 20_000;
        const check = (): void => {
          if (pattern.test(out.slice(from))) resolve();
          else if (Date.now() > deadline) reject(new Error(`the follower never printed ${pattern}; it printed ${JSON.stringify(out)}`));
          else setTimeout(check, 50);
        };
        check();
      });
    follower.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = collect(follower, 20_000);
    // The header and one old line, then only what is written from now on.
    await seen(/^==> api1 .*\n.*\n\n/m);
    const mark = out.length;
    const key = readFileSync(apiKeyFile(stateDir), "utf8").trim();
    const response = await fetch(`${api1.url}/api/run`, { method: "POST", headers: { authorization: `apikey ${key}` }, body: JSON.stringify({ session: "follow-check", length: 1 }) });
    assert.equal(response.status, 200);
    await seen(/POST \/api\/run 200/, mark);
    follower.kill("SIGINT");
    const { code } = await exited;
    assert.equal(code, 0);
    assert.match(out.slice(mark), /^\S+Z 127\.0\.0\.1 POST \/api\/run 200 [\d.]+ms$/m);
  });

  test("only holders of the cluster's API key run sessions; HAProxy routes only /api/run, /health and the WebSocket path", async () => {
    const key = readFileSync(apiKeyFile(stateDir), "utf8").trim();
    assert.ok(key.length >= 32);
    const wsHttp = state.endpoints.ws.replace(/^ws:/, "http:").replace(/\/connection\/websocket$/, "");
    const post = async (url: string, headers: Record<string, string> = {}): Promise<number> =>
      (await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ session: "s1", channel: "session:s1", data: { i: 0, t: "injected" }, length: 2 }) })).status;
    assert.equal(await post(`${state.endpoints.http}/api/run`), 401);
    assert.equal(await post(`${state.endpoints.http}/api/run`, { authorization: "apikey wrong" }), 401);
    assert.equal(await post(`${state.endpoints.http}/api/run`, { authorization: `apikey ${key}` }), 200);
    // Nobody injects tokens into someone else's session through the load balancer, key or not.
    assert.equal(await post(`${state.endpoints.http}/api/publish`, { authorization: `apikey ${key}` }), 404);
    assert.equal(await post(`${wsHttp}/api/publish`, { authorization: `apikey ${key}` }), 404);
    assert.equal((await fetch(`${wsHttp}/stats`)).status, 404);
    assert.equal((await fetch(`${state.endpoints.http}/health`)).status, 200);
    // Straight to a gateway (inside the cluster) the publish API still needs the key.
    const gateway = state.processes.find((proc) => proc.kind === "gateway")!;
    assert.equal(await post(`${gateway.url}/api/publish`), 401);
    assert.equal(await post(`${gateway.url}/api/publish`, { "x-api-key": key }), 200);
    assert.match(endpointLines(state).join("\n"), /--api-key-env TOKENSTORM_API_KEY/);
  });

  test("--no-haproxy with --redis URL: the nodes' own addresses, and the given Redis is left running", async () => {
    const dir = tempDir();
    const small = await clusterUp({
      stateDir: dir,
      apiNodes: 1,
      wsNodes: 1,
      host: "127.0.0.1",
      redisUrl: state.redisUrl,
      redisPort: null,
      haproxy: false,
      ports: { http: 0, ws: 0, stats: 0 },
      nodeFlags: ["--length", "5", "--delay", "0"],
      log: () => undefined,
    });
    try {
      const lines = endpointLines(small).join("\n");
      assert.match(lines, /no load balancer \(--no-haproxy\): point clients at the nodes themselves/);
      assert.deepEqual(small.processes.map((proc) => proc.name), ["gateway1", "api1"]);
      assert.match(lines, new RegExp(`api1 +${small.processes[1]!.url!.replace(/\./g, "\\.")}`));
      const config = withClusterKey({ protocol: "session", target: small.endpoints.http, wsTarget: small.endpoints.ws, clients: "3", cycles: "2", save: false, quiet: true }, dir);
      const { report } = await runLoadTest({ config });
      assert.equal(report.summary.successful, 6, JSON.stringify(report.errors));
      assert.equal(report.summary.tokens_total, 30);
    } finally {
      await clusterDown(small, () => undefined);
    }
    const redis = state.processes.find((proc) => proc.kind === "redis")!;
    assert.equal(isAlive(redis.pid), true, "the Redis that cluster did not start is still up");
  });

  test("--target alone: HAProxy's HTTP port sends the gateway path to the gateways", async () => {
    const config = withClusterKey({ protocol: "session", target: state.endpoints.http, clients: "4", cycles: "2", length: "10", delay: "0", save: false, quiet: true }, stateDir);
    const { report } = await runLoadTest({ config });
    assert.equal(report.summary.successful, 8, JSON.stringify(report.errors));
    assert.equal(report.summary.tokens_lost, 0);
  });

  test("killing a gateway mid-run: its clients' requests fail classified, the run ends in bounded time", async () => {
    const config = withClusterKey(
      { protocol: "session", target: state.endpoints.http, wsTarget: state.endpoints.ws, clients: "20", cycles: "4", length: "40", delay: "0.01", idleTimeout: "3", timeout: "10", save: false, quiet: true },
      stateDir,
    );
    const gateway = state.processes.find((proc) => proc.name === "gateway1")!;
    const startedAt = Date.now();
    const running = runLoadTest({ config });
    setTimeout(() => process.kill(gateway.pid, "SIGKILL"), 600);
    const { report } = await running;
    assert.ok(Date.now() - startedAt < 25_000, "the run ended");
    assert.equal(report.summary.requests, 80);
    const classes = Object.keys(report.errors);
    assert.ok((report.errors["stream_aborted"] ?? 0) > 0, `errors: ${JSON.stringify(report.errors)}`);
    for (const cls of classes) assert.ok(["stream_aborted", "reset", "refused", "http_502", "http_503", "timeout_idle", "timeout_headers"].includes(cls), `unexpected class ${cls}`);
    // The other gateway kept serving: most requests still succeeded, reconnecting through HAProxy.
    assert.ok(report.summary.successful >= 40, `successful ${report.summary.successful}`);
  });

  test("cluster down stops what it started; the killed node is reported gone", async () => {
    const pids = state.processes.map((proc) => proc.pid);
    const down = await runCli(["cluster", "down", "--state-dir", stateDir], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /gateway1 +pid \d+: gone/);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
    assert.equal(readState(stateDir), null);
  });
});

test("cluster down leaves alone a recorded pid that now runs something else", async () => {
  const stranger = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
  try {
    const dir = tempDir();
    writeState({
      version: 1,
      startedAt: new Date().toISOString(),
      stateDir: dir,
      redisUrl: "",
      processes: [{ name: "api1", kind: "api", pid: stranger.pid!, log: "/dev/null", signature: ["node", "--role", "api", "--port", "1"] }],
      endpoints: { http: "", ws: "", stats: null },
      haproxyMissing: null,
    });
    const lines: string[] = [];
    await assert.rejects(clusterDown(readState(dir)!, (line) => lines.push(line)), /nothing stopped/);
    assert.equal(isAlive(stranger.pid!), true);
    assert.match(lines.join("\n"), /not ours any more, left alone/);
  } finally {
    stranger.kill("SIGKILL");
  }
});
