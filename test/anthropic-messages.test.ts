// The anthropic-messages protocol end to end: the official @anthropic-ai/sdk reads the emulator's
// /v1/messages (streamed and whole, and its error bodies); `tokenstorm run` drives it against the
// embedded emulator; and a small scripted SSE server on loopback checks what the driver sends and
// how it reads thinking and tool-input deltas and `error` events.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { findProtocol } from "../src/protocols/registry.js";
import type { Report } from "../src/report/types.js";
import { startEmulator } from "../src/emulator/index.js";
import { startTestProxy } from "./helpers/proxy.js";
import { errorBody, routeOf } from "../src/proxy/routes.js";

const protocol = findProtocol("anthropic-messages");

function sdkClient(baseURL: string, defaultHeaders: Record<string, string> = {}): Anthropic {
  return new Anthropic({ apiKey: "test-key", baseURL, maxRetries: 0, timeout: 10_000, defaultHeaders });
}

/** The emulator's counter text: token i is `token_i`, pieces after the first with a leading space. */
function counterText(tokens: number): string {
  return Array.from({ length: tokens }, (_, index) => `token_${index}`).join(" ");
}

describe("the official SDK reads the emulator's /v1/messages", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 30, seed: 3, text: "counter" });

  test("messages.stream(): the final text, usage and stop reason are what the emulator generated", async () => {
    const client = sdkClient(emulator().url);
    const stream = client.messages.stream({
      model: "claude-test",
      max_tokens: 12,
      system: "answer briefly",
      messages: [
        { role: "user", content: "count for me" },
        { role: "assistant", content: "sure" },
        { role: "user", content: [{ type: "text", text: "from zero please" }] },
      ],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.equal(deltas.length, 12, "one text delta per token");
    assert.equal(message.content.length, 1);
    const block = message.content[0]!;
    assert.equal(block.type, "text");
    assert.equal(block.type === "text" ? block.text : "", counterText(12));
    assert.equal(deltas.join(""), counterText(12));
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.role, "assistant");
    assert.equal(message.usage.output_tokens, 12);
    // system + every message's text, one word one token: 2 + 3 + 1 + 3.
    assert.equal(message.usage.input_tokens, 9);
  });

  test("messages.create() without stream gets one message with the same text and usage", async () => {
    const client = sdkClient(emulator().url);
    const message = await client.messages.create({ model: "claude-test", max_tokens: 5, messages: [{ role: "user", content: "one two three" }] });
    assert.equal(message.type, "message");
    const block = message.content[0]!;
    assert.equal(block.type === "text" ? block.text : "", counterText(5));
    assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [3, 5]);
    assert.equal(message.stop_reason, "max_tokens");
  });

  test("an injected 529 reaches the SDK as Anthropic's overloaded_error body", async () => {
    const client = sdkClient(emulator().url, { "x-tokenstorm-fail": "529" });
    await assert.rejects(
      client.messages.create({ model: "claude-test", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
      (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError, String(err));
        assert.equal(err.status, 529);
        assert.deepEqual(err.error, { type: "error", error: { type: "overloaded_error", message: "injected failure: HTTP 529" } });
        return true;
      },
    );
  });

  test("a request without max_tokens is refused as the API refuses it", async () => {
    const response = await fetch(`${emulator().url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /max_tokens/);
  });
});

test("tokenstorm run --protocol anthropic-messages on the embedded emulator: exact token counts", async () => {
  const cwd = tempDir();
  const args = ["run", "--protocol", "anthropic-messages", "--clients", "3", "--cycles", "4", "--length", "9", "--delay", "0.001", "--out", "r.json", "--no-save", "--quiet"];
  const result = await runCli(args, { cwd, timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
  assert.equal(report.summary.requests, 12);
  assert.equal(report.summary.successful, 12);
  assert.equal(report.summary.tokens_total, 12 * 9);
  assert.equal(report.summary.tokens_source, "usage");
  assert.equal(report.summary.tokens_lost, 0);
  assert.equal(report.latency.ttft!.count, 12);
  assert.equal(report.latency.itl!.count, 12 * 8);
  assert.deepEqual(report.errors, {});
});

/** What the scripted server saw of one request. */
interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

function event(payload: { type: string; [key: string]: unknown }): string {
  return `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

const MESSAGE_START = event({
  type: "message_start",
  message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } },
});

/** Thinking, text and a tool call: six non-empty deltas, plus an empty tool-input delta and a signature. */
const MIXED_STREAM =
  MESSAGE_START +
  event({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }) +
  event({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "let me" } }) +
  event({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: " think" } }) +
  event({ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "c2ln" } }) +
  event({ type: "content_block_stop", index: 0 }) +
  event({ type: "ping" }) +
  event({ type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }) +
  event({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hello" } }) +
  event({ type: "content_block_delta", index: 1, delta: { type: "text_delta", text: " there" } }) +
  event({ type: "content_block_stop", index: 1 }) +
  event({ type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} } }) +
  event({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "" } }) +
  event({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"a":' } }) +
  event({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "1}" } }) +
  event({ type: "content_block_stop", index: 2 }) +
  event({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 6 } }) +
  event({ type: "message_stop" });

function errorStream(errorType: string): string {
  return (
    MESSAGE_START +
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
    event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }) +
    event({ type: "error", error: { type: errorType, message: "scripted" } })
  );
}

describe("the driver against a scripted SSE server", () => {
  let server: Server;
  let url = "";
  let script = "";
  const seen: SeenRequest[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      req.on("end", () => {
        seen.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(script);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("thinking, text and tool-input deltas and a tool_use opening are token chunks; usage from message_start and message_delta", async () => {
    script = MIXED_STREAM;
    const { records } = await runRequests(protocol, driverOptions(url, { exactTokens: false }), 1, 40);
    const record = records[0]!;
    assert.equal(record.ok, true, record.error ?? "");
    assert.equal(record.chunks, 7, "2 thinking, 2 text, the tool_use opening and 2 non-empty input pieces");
    assert.deepEqual([record.reasoning_tokens, record.tool_call_count], [2, 1]);
    assert.equal(record.tokens, 6);
    assert.equal(record.tokens_source, "usage");
    assert.equal(record.prompt_tokens, 11);
  });

  test("an overloaded_error event is class overloaded, any other error event server_error", async () => {
    script = errorStream("overloaded_error");
    const overloaded = await runRequests(protocol, driverOptions(url), 2, 10);
    for (const record of overloaded.records) {
      assert.equal(record.error_class, "overloaded", record.error ?? "");
      assert.match(record.error ?? "", /overloaded_error: scripted/);
      assert.equal(record.chunks, 1, "the delta before the error counted");
    }
    assert.equal(overloaded.collector.errors.get("overloaded"), 2);
    script = errorStream("api_error");
    const other = await runRequests(protocol, driverOptions(url), 1, 10);
    assert.equal(other.records[0]!.error_class, "server_error", other.records[0]!.error ?? "");
  });

  test("a stream that stops without message_stop is truncated", async () => {
    script = MIXED_STREAM.slice(0, MIXED_STREAM.lastIndexOf("event: message_stop"));
    const { records } = await runRequests(protocol, driverOptions(url), 1, 10);
    assert.equal(records[0]!.error_class, "truncated", records[0]!.error ?? "");
  });

  test("run --api-key-env sends x-api-key and anthropic-version; the body has model, max_tokens, system apart", async () => {
    script = MIXED_STREAM;
    seen.length = 0;
    const cwd = tempDir();
    const dataset = join(cwd, "prompts.jsonl");
    const conversation = [
      { role: "system", content: "be brief" },
      { role: "user", content: "hello" },
    ];
    writeFileSync(dataset, JSON.stringify({ messages: conversation }) + "\n");
    const args = ["run", "--target", url, "--protocol", "anthropic-messages", "--model", "claude-x", "--api-key-env", "TS_TEST_ANTHROPIC_KEY"];
    args.push("--dataset", dataset, "--clients", "1", "--cycles", "2", "--out", "r.json", "--no-save", "--quiet");
    const result = await runCli(args, { cwd, env: { TS_TEST_ANTHROPIC_KEY: "sk-test-123" }, timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    // The warm-up talks to a throwaway emulator, so only the run's requests arrive here.
    assert.equal(seen.length, 2);
    for (const request of seen) {
      assert.equal(request.path, "/v1/messages");
      assert.equal(request.headers["x-api-key"], "sk-test-123");
      assert.equal(request.headers["authorization"], undefined);
      assert.equal(request.headers["anthropic-version"], "2023-06-01");
      assert.deepEqual(request.body, {
        model: "claude-x",
        max_tokens: 4096,
        stream: true,
        system: "be brief",
        messages: [{ role: "user", content: "hello" }],
      });
    }
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.successful, 2);
    assert.equal(JSON.stringify(report.config).includes("sk-test-123"), false, "the key is redacted from the report");
  });
});

test("tokenstorm proxy measures /v1/messages streams read through it by the SDK, and refuses in Anthropic's error shape", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 2, itlMs: 1, seed: 5 });
  const proxy = await startTestProxy(emulator.url);
  try {
    const client = new Anthropic({ baseURL: proxy.url, apiKey: "test-key", maxRetries: 0 });
    const final = await client.messages.stream({ model: "model-a", max_tokens: 6, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    assert.equal(final.usage.output_tokens, 6);
    // What the proxy refuses itself on this route (429 past --max-queue, 502...) is in the shape Anthropic's clients parse.
    const route = routeOf("/v1/messages")!;
    assert.deepEqual(JSON.parse(errorBody(route.errorShape, 429, "queue full")), { type: "error", error: { type: "rate_limit_error", message: "queue full" } });
    const report = await proxy.stop(5, false);
    assert.equal(report.proxy!.by_route["/v1/messages"], 1);
    assert.equal(report.by_type["model-a"]!.summary.tokens_total, 6);
    assert.equal(report.by_type["model-a"]!.latency.itl!.count, 5);
  } finally {
    await proxy.stop(5, false);
    await emulator.close();
  }
});
