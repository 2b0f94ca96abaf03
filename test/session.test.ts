// The session protocol (seed 000) on one node: the CLI run with no target, the gateway's side of the
// Centrifugo protocol (pings, errors), the API node's validation, and the driver's token checks.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket, { WebSocketServer } from "ws";
import { Collector } from "../src/metrics/collector.js";
import { gatewayUrl, sessionProtocol } from "../src/protocols/session/client.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import type { RunningSessionNode } from "../src/protocols/session/node.js";
import { SessionRequest } from "../src/protocols/session/request.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { postRun, startTestNode } from "./helpers/session-node.js";

/** A raw WebSocket that records replies, and counts server pings ("{}") apart from them. */
async function rawClient(url: string): Promise<{ socket: WebSocket; next(): Promise<string>; pings(): number; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  const waiters: Array<(frame: string) => void> = [];
  let pings = 0;
  socket.on("message", (data: Buffer) => {
    const frame = data.toString("utf8");
    if (frame === "{}") {
      pings++;
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const next = (): Promise<string> => (frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiters.push(resolve)));
  return { socket, next, pings: () => pings, closed };
}

test("run --protocol session with no target: 10 clients x 5 cycles, no token lost, seed 000's layout", async () => {
  const dir = tempDir();
  const result = await runCli(["run", "--protocol", "session", "--clients", "10", "--cycles", "5", "--delay", "0.002", "--out", "report.json", "--no-save", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as {
    summary: { requests: number; successful: number; tokens_total: number; tokens_lost: number };
    errors: Record<string, number>;
    connections: { opened: number; failed: number };
    latency: Record<string, { count: number } | undefined>;
  };
  assert.equal(report.summary.requests, 50);
  assert.equal(report.summary.successful, 50);
  assert.equal(report.summary.tokens_total, 50 * 100);
  assert.equal(report.summary.tokens_lost, 0);
  assert.deepEqual(report.errors, {});
  assert.equal(report.latency.delivery!.count, 50 * 100);
  // One WebSocket per client, kept across its cycles, as seed 000's clients do.
  assert.equal(report.connections.opened, 10);
  assert.match(result.stdout, /LOAD TEST RESULTS/);
  assert.match(result.stdout, /Test completed\. \[total_clients=10, total_cycles=50, duration=/);
  assert.match(result.stdout, /CONNECTIONS:\n {2}\[successful=10, failed=0, total_errors=0\]/);
});

describe("gateway: the Centrifugo client protocol", () => {
  let node: RunningSessionNode;
  before(async () => {
    node = await startTestNode({ pingIntervalS: 0.2 });
  });
  after(async () => {
    await node?.close();
  });

  test("connect reply, server pings answered with pongs, method errors", async () => {
    const client = await rawClient(node.wsUrl);
    try {
      client.socket.send(JSON.stringify({ id: 1, connect: { name: "raw" } }));
      const connect = JSON.parse(await client.next()) as { id: number; connect: { client: string; ping: number; pong: boolean } };
      assert.equal(connect.id, 1);
      assert.equal(connect.connect.pong, true);
      assert.equal(connect.connect.ping, 0.2);
      // Two commands in one frame, one per line, as the SDK batches them.
      client.socket.send(`${JSON.stringify({ id: 2, subscribe: { channel: "session:a" } })}\n${JSON.stringify({ id: 3, subscribe: { channel: "session:a" } })}`);
      // Replies are matched by id and may come in any order.
      const replies = [JSON.parse(await client.next()), JSON.parse(await client.next())] as Array<{ id: number }>;
      replies.sort((a, b) => a.id - b.id);
      assert.deepEqual(replies, [{ id: 2, subscribe: {} }, { id: 3, error: { code: 105, message: "already subscribed" } }]);
      client.socket.send(JSON.stringify({ id: 4, rpc: { method: "x" } }));
      assert.equal((JSON.parse(await client.next()) as { error: { code: number } }).error.code, 104);
      // Pings every 0.2 s; the pong (an empty command) keeps the connection alive.
      for (let waited = 0; client.pings() < 2 && waited < 3_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(client.pings() >= 2, `pings: ${client.pings()}`);
      client.socket.send("{}");
      client.socket.send(JSON.stringify({ id: 5, unsubscribe: { channel: "session:a" } }));
      assert.deepEqual(JSON.parse(await client.next()), { id: 5, unsubscribe: {} });
      assert.equal(node.stats().gateway!.subscriptions, 0);
    } finally {
      client.socket.close();
    }
  });

  test("an API-only node answers a WebSocket upgrade with 404, classified as http_404", async () => {
    const api = await startTestNode({ role: "api", broker: { kind: "centrifugo", url: node.url, apiKey: null } });
    try {
      const { records } = await runRequests(sessionProtocol, driverOptions(api.url), 1, 3);
      assert.equal(records[0]!.error_class, "http_404", records[0]!.error ?? "");
    } finally {
      await api.close();
    }
  });

  test("a command before connect closes with 3501 (bad request)", async () => {
    const client = await rawClient(node.wsUrl);
    client.socket.send(JSON.stringify({ id: 1, subscribe: { channel: "session:b" } }));
    assert.equal(await client.closed, 3501);
  });

  test("API node: /health, /stats and /api/run validation", async () => {
    const health = await (await fetch(`${node.url}/health`)).json();
    assert.deepEqual(health, { status: "ok", role: "all", broker: "in-process" });
    assert.equal((await postRun(node.url, { session: "not a uuid!" })).status, 400);
    assert.equal((await postRun(node.url, { session: "abc", length: 0 })).status, 400);
    assert.equal((await postRun(node.url, { session: "abc", delay: -1 })).status, 400);
    assert.equal((await postRun(node.url, { session: "abc" }, { "x-tokenstorm-fail": "503" })).status, 503);
    const ok = await postRun(node.url, { session: "abc", length: 3, delay: 0 });
    assert.deepEqual(ok, { status: 200, body: { session: "abc", channel: "session:abc", tokens: 3 } });
    const stats = (await (await fetch(`${node.url}/stats`)).json()) as { api: { runs: number; rejected: number }; gateway: { connectionsTotal: number } };
    assert.equal(stats.api.runs, 1);
    assert.equal(stats.api.rejected, 4);
    assert.ok(stats.gateway.connectionsTotal >= 2);
  });
});

describe("driver token checks", () => {
  function request(asked: number | null): { session: SessionRequest; collector: Collector } {
    const collector = new Collector();
    const trace = collector.begin("test", 0, 0);
    trace.sent(1);
    return { session: new SessionRequest(trace, asked, () => undefined), collector };
  }

  test("every token once and in order: success, nothing lost", () => {
    const { session, collector } = request(3);
    for (let i = 0; i < 3; i++) session.publication({ i, t: "w" }, 10 + i);
    session.postOk(3, 11);
    session.publication({ done: true, tokens: 3 }, 13);
    const record = collector.finish(session.trace);
    assert.equal(record.ok, true);
    assert.equal(record.tokens_lost, 0);
    assert.equal(record.e2e_ms, 11); // POST (1) to the last token (12)
  });

  test("duplicates, gaps and a short session are classified and counted", () => {
    const duplicate = request(3);
    for (const i of [0, 1, 1, 2]) duplicate.session.publication({ i, t: "w" }, 10);
    duplicate.session.postOk(3, 10);
    duplicate.session.publication({ done: true, tokens: 3 }, 11);
    assert.equal(duplicate.collector.finish(duplicate.session.trace).error_class, "duplicate_token");

    const gap = request(4);
    for (const i of [0, 2, 3]) gap.session.publication({ i, t: "w" }, 10);
    gap.session.postOk(4, 10);
    gap.session.publication({ done: true, tokens: 4 }, 11);
    const gapRecord = gap.collector.finish(gap.session.trace);
    assert.equal(gapRecord.error_class, "out_of_order");
    assert.equal(gapRecord.tokens_lost, 1);

    const short = request(5);
    for (const i of [0, 1]) short.session.publication({ i, t: "w" }, 10);
    short.session.postOk(5, 10);
    short.session.publication({ done: true, tokens: 2 }, 11);
    const shortRecord = short.collector.finish(short.session.trace);
    assert.equal(shortRecord.error_class, "truncated");
    assert.equal(shortRecord.tokens_lost, 3);

    const malformed = request(2);
    malformed.session.publication("text", 10);
    assert.equal(malformed.collector.finish(malformed.session.trace).error_class, "malformed");
  });

  test("a gateway that never answers the subscribe: the request times out and the client is released", async () => {
    // Answers connect, then ignores every other command.
    const silent = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/connection/websocket" });
    silent.on("connection", (socket) =>
      socket.on("message", (data: Buffer) => {
        const command = JSON.parse(data.toString()) as { id: number; connect?: unknown };
        if (command.connect) socket.send(JSON.stringify({ id: command.id, connect: { client: "x", version: "0", ping: 25, pong: true } }));
      }),
    );
    await new Promise((resolve) => silent.once("listening", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const startedAt = Date.now();
      const { records } = await runRequests(sessionProtocol, driverOptions(`http://127.0.0.1:${port}`, { idleTimeoutMs: 300 }), 2, 5);
      assert.ok(Date.now() - startedAt < 3_000);
      for (const record of records) assert.equal(record.error_class, "timeout_headers", record.error ?? "");
    } finally {
      for (const client of silent.clients) client.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test("the gateway URL follows --ws-target, or the API's own host", () => {
    assert.equal(gatewayUrl(new URL("http://127.0.0.1:9000")), "ws://127.0.0.1:9000/connection/websocket");
    assert.equal(gatewayUrl(new URL("http://h:9000"), new URL("ws://h:9001")), "ws://h:9001/connection/websocket");
    assert.equal(gatewayUrl(new URL("http://h:9000"), new URL("https://h:9001/custom/ws")), "wss://h:9001/custom/ws");
  });
});
