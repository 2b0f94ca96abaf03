// What one client may ask of tokenstorm's servers is bounded, and each bound answers in its
// protocol's own way: the emulator refuses a request for more tokens than --max-request-tokens with
// a 400 JSON error, answers a body that is not JSON with a 400 and stops reading one over 16 MiB
// (its connection goes), and writes long non-streamed bodies in batches; it answers a WebSocket upgrade on
// a path it does not serve with 404; its realtime endpoint closes a connection that sends a message
// over 16 MiB with 1009; the session gateway refuses a 129th subscription on one connection with
// Centrifugo's error 106. A realtime target that never answers the handshake fails each request as
// timeout_handshake within --handshake-timeout, and one that sends a message over --max-line-bytes as
// malformed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { loadTestConfig, runLoadTest } from "../src/api.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { MAX_REALTIME_MESSAGE_BYTES } from "../src/protocols/realtime/emulator.js";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../src/protocols/session/gateway.js";
import type { RunningSessionNode } from "../src/protocols/session/node.js";
import { startTestNode } from "./helpers/session-node.js";

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

/** Send a raw upgrade request and return the status line and body the server answered with. */
function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
    });
    let answer = "";
    socket.on("data", (data: Buffer) => (answer += data.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(answer);
    });
  });
}

describe("the emulator", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startEmulator({ port: 0, ttftMs: 0, itlMs: 0, seed: 1, warmUp: false });
  });
  after(() => emulator.close());

  test("a request for more tokens than the limit is a 400 with a JSON error, at once", async () => {
    const chat = await post(`${emulator.url}/v1/chat/completions`, { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 100_000_000 }, { "x-tokenstorm-itl-ms": "0" });
    assert.equal(chat.status, 400);
    const error = (JSON.parse(chat.text) as { error: { message: string } }).error;
    assert.match(error.message, /max_tokens 100000000 exceeds this emulator's limit of 1000000 tokens per request \(--max-request-tokens\)/);
    const ollama = await post(`${emulator.url}/api/generate`, { model: "m", prompt: "hi", stream: false, options: { num_predict: 2_000_000 } });
    assert.equal(ollama.status, 400);
    assert.match(ollama.text, /exceeds this emulator's limit/);
    // The emulator is still serving.
    const small = await post(`${emulator.url}/v1/chat/completions`, { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
    assert.equal(small.status, 200);
  });

  test("a request body is JSON or a 400; one past 16 MiB is not read to its end and its connection goes", async () => {
    const raw = async (body: string): Promise<{ status: number; text: string }> => {
      const response = await fetch(`${emulator.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
      return { status: response.status, text: await response.text() };
    };
    const empty = await raw("");
    assert.equal(empty.status, 400);
    assert.match(empty.text, /request body must be a JSON object/);
    const broken = await raw('{"model": "m", "messages": [');
    assert.equal(broken.status, 400);
    assert.match(broken.text, /request body is not valid JSON/);
    // Over the limit: the emulator stops reading and drops the connection (the client sees it end).
    const huge = await raw(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(16 * 1024 * 1024) }] })).then(
      (answer) => String(answer.status),
      (err: Error) => `failed: ${(err.cause as Error | undefined)?.message ?? err.message}`,
    );
    assert.ok(huge === "413" || huge.startsWith("failed"), huge);
    // The emulator is still serving.
    const small = await post(`${emulator.url}/v1/chat/completions`, { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
    assert.equal(small.status, 200);
  });

  test("a long non-streamed body, written in batches, is whole and valid JSON", async () => {
    const tokens = 200_000;
    const answer = await post(`${emulator.url}/v1/chat/completions`, { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: tokens });
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.text) as { choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
    assert.equal(body.usage.completion_tokens, tokens);
    assert.equal(body.choices[0]!.message.content.split(" ").length, tokens);
    const ollama = await post(`${emulator.url}/api/chat`, { model: "m", messages: [{ role: "user", content: "hi" }], stream: false, options: { num_predict: 5000 } });
    const final = JSON.parse(ollama.text) as { message: { content: string }; eval_count: number; done: boolean };
    assert.equal(final.done, true);
    assert.equal(final.eval_count, 5000);
    assert.equal(final.message.content.split(" ").length, 5000);
  });

  test("the limit is the emulator's option, and --length may not exceed it", async () => {
    const small = await startEmulator({ port: 0, ttftMs: 0, itlMs: 0, maxRequestTokens: 50, length: 10, warmUp: false });
    try {
      assert.equal((await post(`${small.url}/v1/completions`, { model: "m", prompt: "hi", max_tokens: 50 })).status, 200);
      const over = await post(`${small.url}/v1/completions`, { model: "m", prompt: "hi", max_tokens: 51 });
      assert.equal(over.status, 400);
      assert.match(over.text, /limit of 50 tokens/);
    } finally {
      await small.close();
    }
    await assert.rejects(startEmulator({ port: 0, maxRequestTokens: 50, length: 100, warmUp: false }), /length must be at most maxRequestTokens/);
  });

  test("a WebSocket upgrade on a path it does not serve is answered 404", async () => {
    const answer = await rawUpgrade(emulator.port, "/not/a/socket");
    assert.match(answer, /^HTTP\/1\.1 404 /);
    assert.match(answer, /unknown path: WebSocket upgrade on \/not\/a\/socket/);
  });

  test("a realtime message over the limit closes the connection with 1009", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${emulator.port}/v1/realtime`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.on("error", () => undefined);
    socket.send(JSON.stringify({ type: "input_audio_buffer.append", audio: "A".repeat(MAX_REALTIME_MESSAGE_BYTES) }));
    assert.equal(await closed, 1009);
  });
});

describe("the session gateway", () => {
  let node: RunningSessionNode;
  before(async () => {
    node = await startTestNode();
  });
  after(() => node.close());

  test(`subscriptions past ${MAX_SUBSCRIPTIONS_PER_CONNECTION} on one connection get error 106; the connection keeps working`, async () => {
    const socket = new WebSocket(node.wsUrl);
    const replies = new Map<number, (reply: { error?: { code: number } }) => void>();
    socket.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text === "{}") return;
      for (const line of text.split("\n")) {
        const reply = JSON.parse(line) as { id?: number; error?: { code: number } };
        if (reply.id !== undefined) replies.get(reply.id)?.(reply);
      }
    });
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const call = (id: number, command: Record<string, unknown>): Promise<{ error?: { code: number } }> =>
      new Promise((resolve) => {
        replies.set(id, resolve);
        socket.send(JSON.stringify({ id, ...command }));
      });
    try {
      assert.equal((await call(1, { connect: {} })).error, undefined);
      for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) {
        const reply = await call(10 + i, { subscribe: { channel: `session:${i}` } });
        assert.equal(reply.error, undefined, `subscription ${i}`);
      }
      const over = await call(1000, { subscribe: { channel: "session:one-too-many" } });
      assert.equal(over.error?.code, 106);
      await call(1001, { unsubscribe: { channel: "session:0" } });
      assert.equal((await call(1002, { subscribe: { channel: "session:one-too-many" } })).error, undefined, "room again after an unsubscribe");
      assert.equal((await call(1003, { subscribe: { channel: "x".repeat(256) } })).error?.code, 107);
      assert.equal(node.stats().gateway?.subscriptions, MAX_SUBSCRIPTIONS_PER_CONNECTION);
    } finally {
      socket.terminate();
    }
  });
});

describe("a realtime target that never answers the handshake", () => {
  let silent: ReturnType<typeof createServer>;
  const sockets = new Set<Socket>();
  before(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test("each request fails as timeout_handshake within --handshake-timeout", async () => {
    const { port } = silent.address() as { port: number };
    const startedAt = Date.now();
    const { report } = await runLoadTest(
      loadTestConfig({ protocol: "realtime", target: `http://127.0.0.1:${port}`, clients: 2, cycles: 1, seed: 1, flags: { handshakeTimeout: "0.5" } }),
    );
    assert.deepEqual(report.errors, { timeout_handshake: 2 });
    // Well short of the 60 s connect timeout that bounded it before.
    assert.ok(Date.now() - startedAt < 30_000, `took ${Date.now() - startedAt} ms`);
  });
});

test("a realtime server that sends a message over --max-line-bytes fails the request as malformed", async () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  server.on("connection", (socket) => socket.send(JSON.stringify({ type: "session.created", padding: "x".repeat(2 * 1024 * 1024) })));
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const { port } = server.address() as { port: number };
    const { report } = await runLoadTest(
      loadTestConfig({ protocol: "realtime", target: `http://127.0.0.1:${port}`, clients: 1, cycles: 1, seed: 1, flags: { maxLineBytes: String(1024 * 1024) } }),
    );
    assert.deepEqual(report.errors, { malformed: 1 });
  } finally {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});
