// Agent conversations in datasets: a `.jsonl` line's messages may carry an assistant's tool calls
// (`tool_calls`, content null) and their results (role "tool", `tool_call_id`), as OpenAI's chat API
// takes them. Each driver sends them in its API's own shape (chat: as given; Ollama: arguments as
// an object and `tool_name`; Responses: function_call / function_call_output items; Messages:
// tool_use / tool_result blocks), and the emulator counts the calls' arguments and the results as
// prompt tokens, whatever the shape.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Problems } from "../src/config/values.js";
import { loadDataset } from "../src/workload/dataset.js";
import { findProtocol } from "../src/protocols/registry.js";
import { chatProtocol } from "../src/protocols/openai/client.js";
import { chatProtocol as ollamaChatProtocol } from "../src/protocols/ollama/client.js";
import { responsesProtocol } from "../src/protocols/openai/responses-client.js";
import { messagesProtocol } from "../src/protocols/anthropic/client.js";
import type { RequestSpec } from "../src/protocols/types.js";
import { Collector } from "../src/metrics/collector.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions } from "./helpers/driver-harness.js";
import { tempDir } from "./helpers/cli.js";

/** An agent's conversation in OpenAI's chat shape: two calls answered, then the user again. */
const AGENT_LINE = {
  messages: [
    { role: "system", content: "You are a travel agent." },
    { role: "user", content: "weather in Paris and Rome?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "sunny 21" },
    { role: "tool", tool_call_id: "call_2", content: "rain 14" },
    { role: "assistant", content: "Paris is sunny.", tool_calls: [{ id: "call_3", type: "function", function: { name: "get_time", arguments: "{}" } }] },
    { role: "tool", tool_call_id: "call_3", content: "noon" },
    { role: "user", content: "thanks" },
  ],
  max_tokens: 3,
};

describe("agent conversations in datasets", () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, lines: unknown[]): string => {
    const path = join(dir, name);
    writeFileSync(path, lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n"));
    return path;
  };
  const spec = (): RequestSpec => {
    const problems = new Problems();
    const dataset = loadDataset(file("agent.jsonl", [AGENT_LINE]), problems);
    assert.deepEqual(problems.lines, []);
    const entry = dataset!.take();
    return { type: entry.type, prompt: entry.prompt, messages: entry.messages, maxTokens: entry.maxTokens };
  };

  test("a line's tool calls and tool results are read; bad ones are file:line errors", () => {
    const messages = spec().messages!;
    assert.deepEqual(messages[2], {
      role: "assistant",
      content: "",
      toolCalls: [
        { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_2", name: "get_weather", arguments: '{"city":"Rome"}' },
      ],
    });
    assert.deepEqual(messages[3], { role: "tool", content: "sunny 21", toolCallId: "call_1" });
    assert.equal(messages[5]!.content, "Paris is sunny.");

    const user = { role: "user", content: "hi" };
    const call = (extra: Record<string, unknown>): unknown => ({ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}", ...extra } }] });
    const path = file("bad.jsonl", [
      { messages: [user, { role: "tool", tool_call_id: "nowhere", content: "x" }] },
      { messages: [user, { role: "tool", content: "x" }] },
      { messages: [user, call({ arguments: "not json" })] },
      { messages: [{ role: "user", content: "hi", tool_calls: [] }] },
      { messages: [user, { role: "assistant", content: null, tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }] },
      { messages: [user, call({ name: "" })] },
    ]);
    const problems = new Problems();
    assert.equal(loadDataset(path, problems), null);
    assert.deepEqual(problems.lines, [
      `${path}:1: messages[1] "tool_call_id" "nowhere" answers no tool call made before it`,
      `${path}:2: messages[1] a "tool" message must have a string "tool_call_id"`,
      `${path}:3: messages[1] tool_calls[0].function.arguments must be a JSON object in a string`,
      `${path}:4: messages[0] only an assistant message has "tool_calls"`,
      `${path}:5: messages[1] tool_calls[0].id must be a non-empty string`,
      `${path}:6: messages[1] tool_calls[0].function.name must be a non-empty string`,
    ]);
  });

  test("each driver sends them in its API's shape", () => {
    const options = driverOptions("http://127.0.0.1:1");
    const request = spec();
    const chat = chatProtocol.body(request, options) as { messages: unknown[] };
    assert.deepEqual(chat.messages, AGENT_LINE.messages);

    const ollama = ollamaChatProtocol.body(request, options) as { messages: unknown[] };
    assert.deepEqual(ollama.messages.slice(2, 8), [
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }, { function: { name: "get_weather", arguments: { city: "Rome" } } }] },
      { role: "tool", content: "sunny 21", tool_name: "get_weather" },
      { role: "tool", content: "rain 14", tool_name: "get_weather" },
      { role: "assistant", content: "Paris is sunny.", tool_calls: [{ function: { name: "get_time", arguments: {} } }] },
      { role: "tool", content: "noon", tool_name: "get_time" },
      { role: "user", content: "thanks" },
    ]);

    const responses = responsesProtocol.body(request, options) as { input: unknown[] };
    assert.deepEqual(responses.input, [
      { role: "system", content: "You are a travel agent." },
      { role: "user", content: "weather in Paris and Rome?" },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Rome"}' },
      { type: "function_call_output", call_id: "call_1", output: "sunny 21" },
      { type: "function_call_output", call_id: "call_2", output: "rain 14" },
      { role: "assistant", content: "Paris is sunny." },
      { type: "function_call", call_id: "call_3", name: "get_time", arguments: "{}" },
      { type: "function_call_output", call_id: "call_3", output: "noon" },
      { role: "user", content: "thanks" },
    ]);

    const anthropic = messagesProtocol.body(request, options) as { system: string; messages: unknown[] };
    assert.equal(anthropic.system, "You are a travel agent.");
    assert.deepEqual(anthropic.messages, [
      { role: "user", content: "weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "sunny 21" },
          { type: "tool_result", tool_use_id: "call_2", content: "rain 14" },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "Paris is sunny." }, { type: "tool_use", id: "call_3", name: "get_time", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "call_3", content: "noon" }] },
      { role: "user", content: "thanks" },
    ]);
  });

  describe("the emulator takes every shape and counts the calls and results as prompt tokens", () => {
    const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, warmUp: false });
    // Words of every text the conversation sends: contents, and each call's arguments (no spaces in them).
    const words = AGENT_LINE.messages.flatMap((m) => [...(m.content ?? "").split(" ").filter(Boolean), ...(m.tool_calls ?? []).map(() => "args")]).length;

    for (const protocol of ["openai-chat", "ollama-chat", "openai-responses", "anthropic-messages"]) {
      test(protocol, async () => {
        const collector = new Collector();
        const driver = findProtocol(protocol).create(driverOptions(emulator().url));
        try {
          const trace = collector.begin("agent", 0, 0);
          await driver.execute(spec(), trace);
          const record = collector.finish(trace);
          assert.equal(record.ok, true, record.error ?? "");
          assert.equal(record.prompt_tokens, words, "contents, tool-call arguments and tool results, each word a token");
          assert.equal(record.tokens, 3);
        } finally {
          await driver.close();
        }
      });
    }
  });
});
