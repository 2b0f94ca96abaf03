// The official centrifuge SDK (centrifuge-js 5) against our gateway: it connects, subscribes to a
// session channel and receives a session's tokens, whether the API node publishes in-process or
// through the Centrifugo HTTP API (POST /api/publish with X-API-Key), as it would to a real Centrifugo.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Centrifuge, type PublicationContext } from "centrifuge";
import WebSocket from "ws";
import type { RunningSessionNode } from "../src/protocols/session/node.js";
import { postRun, startTestNode } from "./helpers/session-node.js";
import { signConnectionToken } from "../src/protocols/session/auth.js";

interface Received {
  tokens: Array<{ i: number; t: string }>;
  done: Promise<{ done: true; tokens: number }>;
}

/** Subscribe with the SDK and collect publications until the `done` one. */
async function subscribeWithSdk(client: Centrifuge, channel: string): Promise<Received> {
  const tokens: Array<{ i: number; t: string }> = [];
  let resolveDone!: (value: { done: true; tokens: number }) => void;
  const done = new Promise<{ done: true; tokens: number }>((resolve) => (resolveDone = resolve));
  const subscription = client.newSubscription(channel);
  subscription.on("publication", (ctx: PublicationContext) => {
    const data = ctx.data as { i: number; t: string } | { done: true; tokens: number };
    if ("done" in data) resolveDone(data);
    else tokens.push(data);
  });
  const subscribed = new Promise<void>((resolve, reject) => {
    subscription.once("subscribed", () => resolve());
    subscription.once("error", (ctx) => reject(new Error(ctx.error.message)));
  });
  subscription.subscribe();
  await subscribed;
  return { tokens, done };
}

function sdkClient(wsUrl: string, token?: string): Centrifuge {
  return new Centrifuge(wsUrl, { websocket: WebSocket, timeout: 3_000, ...(token === undefined ? {} : { token }) });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe("centrifuge SDK against the gateway", () => {
  let gateway: RunningSessionNode;
  let centrifugoApi: RunningSessionNode;
  const apiKey = "test-key";

  before(async () => {
    gateway = await startTestNode({ apiKey });
    // An API node that publishes to `gateway` as it would to a real Centrifugo.
    centrifugoApi = await startTestNode({ role: "api", broker: { kind: "centrifugo", url: gateway.url, apiKey } });
  });
  after(async () => {
    await centrifugoApi?.close();
    await gateway?.close();
  });

  test("connects, subscribes to session:{uuid} and receives every token in order", async () => {
    const client = sdkClient(gateway.wsUrl);
    try {
      const connected = new Promise<string>((resolve) => client.once("connected", (ctx) => resolve(ctx.client)));
      client.connect();
      assert.match(await withTimeout(connected, 3_000, "connect"), /^[0-9a-f-]{36}$/);
      const session = randomUUID();
      const received = await subscribeWithSdk(client, `session:${session}`);
      // Runs change state: the node's API key, as Centrifugo's HTTP API takes it.
      assert.equal((await postRun(gateway.url, { session, length: 25, delay: 0.001 })).status, 401);
      const run = await postRun(gateway.url, { session, length: 25, delay: 0.001 }, { authorization: `apikey ${apiKey}` });
      assert.equal(run.status, 200);
      assert.deepEqual(run.body, { session, channel: `session:${session}`, tokens: 25 });
      const done = await withTimeout(received.done, 5_000, "done publication");
      assert.equal(done.tokens, 25);
      assert.deepEqual(received.tokens.map((token) => token.i), Array.from({ length: 25 }, (_, i) => i));
      assert.equal(received.tokens[0]!.t, "lorem");
      assert.equal(received.tokens[1]!.t, "ipsum");
    } finally {
      client.disconnect();
    }
  });

  test("tokens published through the Centrifugo HTTP API reach the SDK", async () => {
    const client = sdkClient(gateway.wsUrl);
    try {
      client.connect();
      const session = randomUUID();
      const received = await subscribeWithSdk(client, `session:${session}`);
      const run = await postRun(centrifugoApi.url, { session, length: 30, delay: 0.001 });
      assert.equal(run.status, 200);
      const done = await withTimeout(received.done, 5_000, "done publication");
      assert.equal(done.tokens, 30);
      assert.deepEqual(received.tokens.map((token) => token.i), Array.from({ length: 30 }, (_, i) => i));
      assert.equal(centrifugoApi.stats().api!.publishErrors, 0);
    } finally {
      client.disconnect();
    }
  });

  test("/api/publish refuses a wrong X-API-Key", async () => {
    const response = await fetch(`${gateway.url}/api/publish`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "wrong" },
      body: JSON.stringify({ channel: "session:x", data: { i: 0, t: "x" } }),
    });
    assert.equal(response.status, 401);
  });
});

describe("centrifuge SDK against a gateway that requires connection tokens", () => {
  let gateway: RunningSessionNode;
  before(async () => {
    gateway = await startTestNode({ tokenSecret: "sdk-secret" });
  });
  after(async () => {
    await gateway?.close();
  });

  test("the SDK connects with an HS256 token signed with the gateway's secret, and is refused with a forged one", async () => {
    const good = sdkClient(gateway.wsUrl, signConnectionToken("sdk-secret", "user-1", 60));
    try {
      const connected = new Promise<void>((resolve) => good.once("connected", () => resolve()));
      good.connect();
      await withTimeout(connected, 3_000, "connect with a valid token");
    } finally {
      good.disconnect();
    }
    const forged = sdkClient(gateway.wsUrl, signConnectionToken("guessed", "user-1", 60));
    try {
      const refused = new Promise<number>((resolve) => forged.once("disconnected", (ctx) => resolve(ctx.code)));
      forged.connect();
      assert.equal(await withTimeout(refused, 3_000, "refusal"), 3500);
    } finally {
      forged.disconnect();
    }
  });
});
