// Session nodes that say when they cannot work, and let nobody in without credentials. Through a real
// redis-server and a real HAProxy: a node whose Redis is gone answers /health with 503 and refuses
// runs, HAProxy takes it out and sends the runs to the node that still has its broker; the node is
// back once its Redis is. A gateway with a token secret admits only connections with a valid token,
// which the session driver signs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { WebSocket } from "ws";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { signConnectionToken, verifyConnectionToken } from "../src/protocols/session/auth.js";
import { freePort } from "../src/cluster/processes.js";
import { haproxyConfig } from "../src/cluster/haproxy.js";
import type { RunningSessionNode } from "../src/protocols/session/node.js";
import { tempDir } from "./helpers/cli.js";
import { startRedisServer } from "./helpers/redis.js";
import { postRun, startTestNode } from "./helpers/session-node.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) if (await check().catch(() => false)) return;
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function healthStatus(node: RunningSessionNode): Promise<number> {
  return (await fetch(`${node.url}/health`)).status;
}

describe("a session node without its Redis", () => {
  const redisPorts: number[] = [];
  const redis: ChildProcess[] = [];
  const nodes: RunningSessionNode[] = [];
  let haproxy: ChildProcess | null = null;
  let balancer = "";

  before(async () => {
    for (let i = 0; i < 2; i++) {
      redisPorts.push(await freePort("127.0.0.1"));
      redis.push(await startRedisServer(redisPorts[i]!));
      nodes.push(await startTestNode({ role: "api", broker: { kind: "redis", url: `redis://127.0.0.1:${redisPorts[i]}` }, onError: () => undefined }));
    }
    const ports = { http: await freePort("127.0.0.1"), ws: await freePort("127.0.0.1"), stats: await freePort("127.0.0.1") };
    const config = join(tempDir(), "haproxy.cfg");
    const api = nodes.map((node, i) => ({ name: `api${i + 1}`, port: node.port }));
    writeFileSync(config, haproxyConfig({ bindHost: "127.0.0.1", nodeHost: "127.0.0.1", ports, api, gateways: api }));
    haproxy = spawn("haproxy", ["-f", config, "-db"], { stdio: "ignore" });
    balancer = `http://127.0.0.1:${ports.http}`;
    await until("HAProxy routes", async () => (await fetch(`${balancer}/health`)).status === 200);
  });

  after(async () => {
    haproxy?.kill("SIGKILL");
    await Promise.all(nodes.map((node) => node.close()));
    for (const server of redis) server.kill("SIGKILL");
  });

  test("/health is 503 naming the broker, runs are refused, HAProxy sends them to the other node; back once Redis is", async () => {
    assert.deepEqual(await Promise.all(nodes.map(healthStatus)), [200, 200]);
    redis[0]!.kill("SIGKILL");
    await until("node 1 reports its broker down", async () => (await healthStatus(nodes[0]!)) === 503);
    const health = (await (await fetch(`${nodes[0]!.url}/health`)).json()) as { status: string; reason: string };
    assert.deepEqual(health, { status: "unavailable", role: "api", broker: "redis", reason: "the redis broker is not connected" });
    assert.equal((await postRun(nodes[0]!.url, { session: "direct" })).status, 503);
    assert.equal(await healthStatus(nodes[1]!), 200);

    // HAProxy checks every 500 ms and takes a node out after 2 failures.
    await sleep(2_000);
    const before = nodes.map((node) => node.stats().api!.runs);
    for (let i = 0; i < 10; i++) assert.equal((await postRun(balancer, { session: `s${i}`, length: 2 })).status, 200);
    const after = nodes.map((node) => node.stats().api!.runs);
    assert.deepEqual([after[0]! - before[0]!, after[1]! - before[1]!], [0, 10]);

    redis[0] = await startRedisServer(redisPorts[0]!);
    await until("node 1 healthy again", async () => (await healthStatus(nodes[0]!)) === 200, 30_000);
  });
});

describe("a gateway that requires connection tokens (--token-secret-env)", () => {
  const secret = "s3cret-for-tests";
  let node: RunningSessionNode;

  before(async () => {
    node = await startTestNode({ tokenSecret: secret, apiKey: "k1" });
  });
  after(async () => {
    await node.close();
  });

  function sessionRun(extra: RawRunFlags, env: NodeJS.ProcessEnv) {
    return runLoadTest({ config: resolveRunConfig({ protocol: "session", target: node.url, clients: "2", cycles: "2", length: "5", delay: "0", save: false, quiet: true, apiKeyEnv: "KEY", ...extra }, { KEY: "k1", ...env }) });
  }

  test("the session driver signs a token per connection and gets through; without one every request fails classified", async () => {
    const signed = await sessionRun({ tokenSecretEnv: "SECRET" }, { SECRET: secret });
    assert.equal(signed.report.summary.successful, 4, JSON.stringify(signed.report.errors));
    assert.equal(signed.report.config["sessionTokenSecret"], "[redacted]");
    assert.ok(!JSON.stringify(signed.report).includes(secret), "the secret is not in the report");
    const unsigned = await sessionRun({}, {});
    assert.equal(unsigned.report.summary.successful, 0);
    assert.equal(unsigned.report.summary.failed, 4);
    const forged = await sessionRun({ tokenSecretEnv: "SECRET" }, { SECRET: "not-the-secret" });
    assert.equal(forged.report.summary.successful, 0);
    // Without the API key, runs are refused even with a good token.
    const keyless = await runLoadTest({ config: resolveRunConfig({ protocol: "session", target: node.url, clients: "1", cycles: "1", save: false, quiet: true, tokenSecretEnv: "SECRET" }, { SECRET: secret }) });
    assert.deepEqual(keyless.report.errors, { http_401: 1 });
  });

  test("tokens: HS256 signature, expiry, and Centrifugo's answers (3500 invalid token, error 109 token expired)", async () => {
    const now = 1_000_000;
    const token = signConnectionToken(secret, "u1", 60, now);
    assert.deepEqual(verifyConnectionToken(token, secret, now), { ok: true, user: "u1" });
    assert.deepEqual(verifyConnectionToken(token, secret, now + 61), { ok: false, expired: true, reason: "token expired" });
    assert.equal(verifyConnectionToken(token, "other", now).ok, false);
    const [header, , signature] = token.split(".");
    const widened = `${header}.${Buffer.from(JSON.stringify({ sub: "admin", exp: now + 60 })).toString("base64url")}.${signature}`;
    assert.equal(verifyConnectionToken(widened, secret, now).ok, false);

    const answers = async (connect: Record<string, unknown>): Promise<{ reply?: unknown; closeCode?: number }> => {
      const socket = new WebSocket(`${node.wsUrl}`);
      await new Promise((resolve) => socket.once("open", resolve));
      socket.send(JSON.stringify({ id: 1, connect }));
      return new Promise((resolve) => {
        socket.once("message", (data) => {
          resolve({ reply: JSON.parse(data.toString()) });
          socket.close();
        });
        socket.once("close", (code) => resolve({ closeCode: code }));
      });
    };
    assert.deepEqual(await answers({}), { closeCode: 3500 });
    assert.deepEqual(await answers({ token: "a.b.c" }), { closeCode: 3500 });
    assert.deepEqual(await answers({ token: signConnectionToken(secret, "u1", -10) }), { reply: { id: 1, error: { code: 109, message: "token expired" } } });
    const ok = (await answers({ token: signConnectionToken(secret, "u1", 60) })) as { reply: { connect?: unknown } };
    assert.ok(ok.reply.connect, JSON.stringify(ok));
  });
});
