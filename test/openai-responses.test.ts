// The openai-responses protocol end to end: the official openai SDK reads the emulator's
// /v1/responses streams and whole responses to the text the emulator generated (echo mode makes
// that text follow from the input), the driver reads reasoning / tool-call deltas and server errors
// from a scripted server, and `tokenstorm run --protocol openai-responses` counts tokens exactly.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { startEmulator } from "../src/emulator/index.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { findProtocol } from "../src/protocols/registry.js";
import { startTestProxy } from "./helpers/proxy.js";

const INSTRUCTIONS = "be brief";
const INPUT = [
  { role: "user" as const, content: [{ type: "input_text" as const, text: "alpha beta" }] },
  { role: "user" as const, content: "gamma" },
];
/** Echo mode repeats the prompt's words, instructions first: the text any response must carry. */
const PROMPT_WORDS = ["be", "brief", "alpha", "beta", "gamma"];

function echoed(tokens: number): string {
  return Array.from({ length: tokens }, (_, i) => PROMPT_WORDS[i % PROMPT_WORDS.length]).join(" ");
}

/** Checks the stream's framing: sequence numbers, the one message item and its part, in order. */
function assertWellFormed(events: Array<{ type: string; sequence_number: number; [key: string]: unknown }>, tokens: number, closing: string): void {
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  const expected = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    ...Array<string>(tokens).fill("response.output_text.delta"),
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    closing,
  ];
  assert.deepEqual(
    events.map((e) => e.type),
    expected,
  );
  const itemId = (events[2]!["item"] as { id: string }).id;
  for (const event of events.slice(3, -2)) {
    assert.equal(event["item_id"], itemId, event.type);
    assert.equal(event["output_index"], 0, event.type);
    assert.equal(event["content_index"], 0, event.type);
  }
}

describe("the emulator's /v1/responses read by the official openai SDK", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 9, text: "echo", seed: 4 });
  const client = (): OpenAI => new OpenAI({ baseURL: `${emulator().url}/v1`, apiKey: "test-key", maxRetries: 0 });

  test("responses.stream() with max_output_tokens: the echoed text, then response.incomplete with usage", async () => {
    const stream = client().responses.stream({ model: "test-model", instructions: INSTRUCTIONS, input: INPUT, max_output_tokens: 7 });
    const events: Array<{ type: string; sequence_number: number }> = [];
    let deltas = "";
    for await (const event of stream) {
      events.push(event);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    assert.equal(final.output_text, echoed(7));
    assert.equal(deltas, echoed(7));
    assert.equal(final.status, "incomplete");
    assert.equal(final.incomplete_details?.reason, "max_output_tokens");
    assert.equal(final.usage?.input_tokens, PROMPT_WORDS.length);
    assert.equal(final.usage?.output_tokens, 7);
    assert.equal(final.usage?.total_tokens, PROMPT_WORDS.length + 7);
    assertWellFormed(events as never, 7, "response.incomplete");
  });

  test("responses.stream() without a limit: the emulator's length, then response.completed", async () => {
    const stream = client().responses.stream({ model: "test-model", instructions: INSTRUCTIONS, input: INPUT });
    const events: Array<{ type: string; sequence_number: number }> = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();
    assert.equal(final.status, "completed");
    assert.equal(final.output_text, echoed(9));
    assert.equal(final.output[0]?.type, "message");
    assert.equal(final.usage?.output_tokens, 9);
    assertWellFormed(events as never, 9, "response.completed");
  });

  test("a string input and stream:false: one response object", async () => {
    const response = await client().responses.create({ model: "test-model", input: "one two three", max_output_tokens: 4 });
    assert.equal(response.object, "response");
    assert.equal(response.output_text, "one two three one");
    assert.equal(response.usage?.input_tokens, 3);
    assert.equal(response.usage?.output_tokens, 4);
  });

  test("an injected status and a bad body reach the SDK as API errors", async () => {
    await assert.rejects(
      client().responses.create({ model: "test-model", input: "x", stream: true }, { headers: { "x-tokenstorm-fail": "503" } }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 503,
    );
    for (const body of [{}, { input: [] }, { input: 7 }, { input: "x", max_output_tokens: 0 }, { input: [{ role: "user", content: 5 }] }]) {
      const res = await fetch(`${emulator().url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = (await res.json()) as { error: { message: string } };
      assert.ok(error.error.message.length > 0);
    }
  });
});

test("tokenstorm proxy measures /v1/responses streams read through it by the SDK", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 2, itlMs: 1, length: 6, seed: 5 });
  const proxy = await startTestProxy(emulator.url);
  try {
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "test-key", maxRetries: 0 });
    const final = await client.responses.stream({ model: "model-r", input: "hi", max_output_tokens: 5 }).finalResponse();
    assert.equal(final.usage?.output_tokens, 5);
    const report = await proxy.stop(5, false);
    assert.deepEqual(report.proxy!.by_route, { "/v1/responses": 1 });
    assert.equal(report.by_type["model-r"]!.summary.tokens_total, 5);
    assert.equal(report.by_type["model-r"]!.latency.itl!.count, 4);
  } finally {
    await proxy.stop(5, false);
    await emulator.close();
  }
});

/** A server that answers every POST /v1/responses with the same scripted SSE events. */
async function scriptedServer(events: object[]): Promise<{ url: string; close(): Promise<void> }> {
  const body = events.map((e, i) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join("");
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(req.url === "/v1/responses" ? 200 : 404, { "content-type": "text/event-stream" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const created = { type: "response.created", response: { id: "resp_1", status: "in_progress", output: [] } };

describe("the openai-responses driver against scripted servers", () => {
  const protocol = findProtocol("openai-responses");

  test("reasoning, reasoning summary, tool-call and text deltas are each a token; usage from response.completed", async () => {
    const server = await scriptedServer([
      created,
      { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 0, delta: "think" },
      { type: "response.reasoning_text.delta", item_id: "rs_1", output_index: 0, content_index: 0, delta: "more" },
      { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 1, delta: '{"city":' },
      { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 1, delta: '"Oslo"}' },
      { type: "response.output_text.delta", item_id: "msg_1", output_index: 2, content_index: 0, delta: "Sunny" },
      { type: "response.output_text.delta", item_id: "msg_1", output_index: 2, content_index: 0, delta: "" },
      { type: "response.output_text.done", item_id: "msg_1", output_index: 2, content_index: 0, text: "Sunny" },
      { type: "response.completed", response: { id: "resp_1", status: "completed", usage: { input_tokens: 11, output_tokens: 5, total_tokens: 16 } } },
    ]);
    try {
      const { records } = await runRequests(protocol, driverOptions(server.url), 2, null);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.equal(record.chunks, 5, "an empty delta is no token");
        assert.equal(record.tokens, 5);
        assert.equal(record.tokens_lost, 0);
      }
    } finally {
      await server.close();
    }
  });

  test("response.failed and error events are server_error, with the server's message", async () => {
    const cases: Array<{ events: object[]; message: RegExp }> = [
      {
        events: [
          created,
          { type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: "a" },
          { type: "response.failed", response: { id: "resp_1", status: "failed", error: { code: "server_error", message: "model crashed" } } },
        ],
        message: /response\.failed: server_error: model crashed/,
      },
      { events: [created, { type: "error", code: "rate_limit_exceeded", message: "slow down", param: null }], message: /rate_limit_exceeded: slow down/ },
    ];
    for (const { events, message } of cases) {
      const server = await scriptedServer(events);
      try {
        const { records } = await runRequests(protocol, driverOptions(server.url), 1, 5);
        assert.equal(records[0]!.error_class, "server_error");
        assert.match(records[0]!.error ?? "", message);
      } finally {
        await server.close();
      }
    }
  });

  test("a stream without response.completed is truncated; an event without a type is malformed", async () => {
    const cut = await scriptedServer([created, { type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: "a" }]);
    const untyped = await scriptedServer([created, { delta: "a" }]);
    try {
      assert.equal((await runRequests(protocol, driverOptions(cut.url), 1, 5)).records[0]!.error_class, "truncated");
      assert.equal((await runRequests(protocol, driverOptions(untyped.url), 1, 5)).records[0]!.error_class, "malformed");
    } finally {
      await cut.close();
      await untyped.close();
    }
  });
});

test("tokenstorm run --protocol openai-responses on the embedded emulator: exact token counts", async () => {
  const cwd = tempDir();
  const args = ["run", "--protocol", "openai-responses", "--clients", "3", "--cycles", "2", "--length", "12", "--delay", "0.001"];
  const result = await runCli([...args, "--out", "r.json", "--no-save", "--quiet"], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8"));
  assert.equal(report.config.protocol, "openai-responses");
  assert.equal(report.summary.requests, 6);
  assert.equal(report.summary.successful, 6);
  assert.equal(report.summary.tokens_total, 6 * 12);
  assert.equal(report.summary.tokens_source, "usage");
  assert.equal(report.summary.tokens_lost, 0);
  assert.equal(report.latency.ttft.count, 6);
  assert.equal(report.latency.itl.count, 6 * 11);
});
