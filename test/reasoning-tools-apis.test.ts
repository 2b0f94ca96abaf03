// Reasoning and tool calls on the Responses, Messages and Ollama APIs (issue 19): the official
// `openai` SDK's responses.stream(), `@anthropic-ai/sdk`'s messages.stream() and the `ollama` SDK's
// chat() read the emulator's reasoning item / thinking block / thinking pieces and its function_call
// item / tool_use block / whole tool call, and reassemble exactly the reasoning text and tool-call
// arguments the emulator generated (its counter text makes both follow from the token indexes). The
// openai-responses, anthropic-messages and ollama drivers tell reasoning, answer and tool calls
// apart, every token counted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { findProtocol } from "../src/protocols/registry.js";
import { responsesProtocol } from "../src/protocols/openai/responses-client.js";
import { messagesProtocol } from "../src/protocols/anthropic/client.js";
import { chatProtocol as ollamaChatProtocol } from "../src/protocols/ollama/client.js";
import { HttpStreamDriver, type HttpStreamProtocol } from "../src/protocols/http/stream-driver.js";
import type { ProtocolDefinition } from "../src/protocols/types.js";

const REASONING = 6;
const PROPERTIES = { city: { type: "string" }, unit: { type: "string" }, days: { type: "integer" } };
/** What the emulator's call to the weather tool carries: the schema's keys, the counter's words. */
const ARGUMENTS = { city: "token_0", unit: "token_1", days: "token_2" };
const ARGUMENT_PIECES = ['{"city": ', '"token_0"', ', "unit": ', '"token_1"', ', "days": ', '"token_2"', "}"];
const RESPONSES_TOOL = { type: "function" as const, name: "get_weather", description: "the weather in a city", parameters: { type: "object", properties: PROPERTIES }, strict: false };
const MESSAGES_TOOL = { name: "get_weather", description: "the weather in a city", input_schema: { type: "object" as const, properties: PROPERTIES } };
const CHAT_TOOL = { type: "function", function: { name: "get_weather", description: "the weather in a city", parameters: { type: "object", properties: PROPERTIES } } };
const FORCE_CALL = { "x-tokenstorm-tool-call": "1" };

/** The emulator's counter text: token i is `token_i`, pieces after the first with a leading space. */
function counterText(tokens: number): string {
  return Array.from({ length: tokens }, (_, index) => `token_${index}`).join(" ");
}

function openAi(baseURL: string, defaultHeaders: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey: "test-key", baseURL: `${baseURL}/v1`, maxRetries: 0, timeout: 10_000, defaultHeaders });
}

function anthropic(baseURL: string, defaultHeaders: Record<string, string> = {}): Anthropic {
  return new Anthropic({ apiKey: "test-key", baseURL, maxRetries: 0, timeout: 10_000, defaultHeaders });
}

/** A driver whose request bodies also offer `tools`, as a dataset with tools will make them. */
function withTools(name: string, protocol: HttpStreamProtocol, tools: unknown[]): ProtocolDefinition {
  return {
    name,
    description: `${name} offering one tool`,
    create: (options) => new HttpStreamDriver({ ...protocol, body: (spec, driver) => ({ ...(protocol.body(spec, driver) as object), tools }) }, options),
  };
}

describe("the emulator's /v1/responses reasoning and function calls, read by the official openai SDK", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 30, seed: 11, text: "counter", reasoningTokens: REASONING, warmUp: false });

  test("responses.stream(): a reasoning item with the reasoning text, then the message; usage counts the reasoning", async () => {
    const stream = openAi(emulator().url).responses.stream({ model: "m", input: "what is the weather like", max_output_tokens: 9 });
    const types: string[] = [];
    const reasoningDeltas: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.reasoning_text.delta") reasoningDeltas.push(event.delta);
    }
    const response = await stream.finalResponse();
    assert.deepEqual(
      response.output.map((item) => item.type),
      ["reasoning", "message"],
    );
    const reasoning = response.output[0]!;
    assert.ok(reasoning.type === "reasoning");
    assert.equal(reasoning.content?.[0]?.text, counterText(REASONING));
    assert.equal(reasoningDeltas.length, REASONING, "one delta per reasoning token");
    assert.equal(reasoningDeltas.join(""), counterText(REASONING));
    assert.equal(response.output_text, counterText(9));
    // Every reasoning event comes before the message item opens.
    assert.ok(types.lastIndexOf("response.reasoning_text.delta") < types.indexOf("response.output_text.delta"));
    assert.equal(response.status, "incomplete", "max_output_tokens reached");
    assert.equal(response.usage?.output_tokens, REASONING + 9);
    assert.equal(response.usage?.output_tokens_details.reasoning_tokens, REASONING);

    // Not streamed, the same request gets the same reasoning and text.
    const whole = await openAi(emulator().url).responses.create({ model: "m", input: "what is the weather like", max_output_tokens: 9 });
    const wholeReasoning = whole.output[0]!;
    assert.ok(wholeReasoning.type === "reasoning");
    assert.equal(wholeReasoning.content?.[0]?.text, counterText(REASONING));
    assert.equal(whole.output_text, counterText(9));
  });

  test("responses.stream() with a function tool: a function_call item whose arguments the SDK reassembles exactly", async () => {
    const stream = openAi(emulator().url, FORCE_CALL).responses.stream({ model: "m", input: "what is the weather like", tools: [RESPONSES_TOOL] });
    const argumentDeltas: string[] = [];
    let textDeltas = 0;
    for await (const event of stream) {
      if (event.type === "response.function_call_arguments.delta") argumentDeltas.push(event.delta);
      if (event.type === "response.output_text.delta") textDeltas++;
    }
    const response = await stream.finalResponse();
    assert.deepEqual(
      response.output.map((item) => item.type),
      ["reasoning", "function_call"],
    );
    const call = response.output[1]!;
    assert.ok(call.type === "function_call");
    assert.equal(call.name, "get_weather");
    assert.match(call.call_id, /^call_[0-9a-f]{24}$/);
    assert.deepEqual(JSON.parse(call.arguments), ARGUMENTS);
    assert.deepEqual(argumentDeltas, ARGUMENT_PIECES);
    assert.equal(textDeltas, 0, "a call instead of the answer's text");
    assert.equal(response.status, "completed");
    // The reasoning, the call's opening (its item), one token per argument piece.
    assert.equal(response.usage?.output_tokens, REASONING + 1 + ARGUMENT_PIECES.length);

    const whole = await openAi(emulator().url, FORCE_CALL).responses.create({ model: "m", input: "what is the weather like", tools: [RESPONSES_TOOL] });
    const wholeCall = whole.output.find((item) => item.type === "function_call");
    assert.ok(wholeCall && wholeCall.type === "function_call");
    assert.deepEqual(JSON.parse(wholeCall.arguments), ARGUMENTS);
  });

  test("a tools entry without a name is a 400", async () => {
    const response = await fetch(`${emulator().url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi", tools: [{ type: "function" }] }),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /tools\[0\]\.name/);
  });
});

describe("the emulator's /v1/messages thinking and tool use, read by the official @anthropic-ai/sdk", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 30, seed: 11, text: "counter", reasoningTokens: REASONING, warmUp: false });
  const MESSAGES = [{ role: "user" as const, content: "what is the weather like" }];

  test("messages.stream(): a thinking block with its text and a signature, then the text block", async () => {
    const stream = anthropic(emulator().url).messages.stream({ model: "m", max_tokens: 9, messages: MESSAGES });
    const thinkingDeltas: string[] = [];
    stream.on("thinking", (delta) => thinkingDeltas.push(delta));
    const message = await stream.finalMessage();
    assert.deepEqual(
      message.content.map((block) => block.type),
      ["thinking", "text"],
    );
    const thinking = message.content[0]!;
    assert.ok(thinking.type === "thinking");
    assert.equal(thinking.thinking, counterText(REASONING));
    assert.ok(thinking.signature.length > 0, "the signature arrives before the block stops");
    assert.deepEqual(thinkingDeltas.length, REASONING);
    const text = message.content[1]!;
    assert.ok(text.type === "text");
    assert.equal(text.text, counterText(9));
    assert.equal(message.stop_reason, "max_tokens");
    assert.equal(message.usage.output_tokens, REASONING + 9);

    const whole = await anthropic(emulator().url).messages.create({ model: "m", max_tokens: 9, messages: MESSAGES });
    assert.deepEqual(
      whole.content.map((block) => block.type),
      ["thinking", "text"],
    );
    assert.ok(whole.content[0]!.type === "thinking" && whole.content[0]!.thinking === counterText(REASONING));
  });

  test("messages.stream() with a tool: a tool_use block whose input the SDK reassembles exactly; stop_reason tool_use", async () => {
    const stream = anthropic(emulator().url, FORCE_CALL).messages.stream({ model: "m", max_tokens: 100, messages: MESSAGES, tools: [MESSAGES_TOOL] });
    const jsonDeltas: string[] = [];
    stream.on("inputJson", (partial) => jsonDeltas.push(partial));
    const message = await stream.finalMessage();
    assert.deepEqual(
      message.content.map((block) => block.type),
      ["thinking", "tool_use"],
    );
    const call = message.content[1]!;
    assert.ok(call.type === "tool_use");
    assert.equal(call.name, "get_weather");
    assert.match(call.id, /^toolu_[0-9a-f]{24}$/);
    assert.deepEqual(call.input, ARGUMENTS);
    assert.deepEqual(jsonDeltas, ARGUMENT_PIECES);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.usage.output_tokens, REASONING + 1 + ARGUMENT_PIECES.length);

    const whole = await anthropic(emulator().url, FORCE_CALL).messages.create({ model: "m", max_tokens: 100, messages: MESSAGES, tools: [MESSAGES_TOOL] });
    const wholeCall = whole.content.find((block) => block.type === "tool_use");
    assert.ok(wholeCall && wholeCall.type === "tool_use");
    assert.deepEqual(wholeCall.input, ARGUMENTS);
    assert.equal(whole.stop_reason, "tool_use");
  });
});

describe("the openai-responses, anthropic-messages and ollama drivers tell reasoning, answer and tool calls apart", () => {
  const emulator = emulatorForSuite({ ttftMs: 3, itlMs: 2, length: 10, seed: 5, text: "counter", warmUp: false });
  for (const protocol of ["openai-responses", "anthropic-messages", "ollama-chat", "ollama-generate"]) {
    test(`${protocol}: reasoning_tokens exact, TTFC after TTFT, every token counted`, async () => {
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-reasoning-tokens": "7" } });
      const { records, collector } = await runRequests(findProtocol(protocol), options, 3, 5);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.deepEqual([record.reasoning_tokens, record.tool_call_count], [7, 0]);
        assert.deepEqual([record.tokens, record.chunks, record.tokens_lost], [12, 12, 0]);
        assert.ok(record.ttft_ms !== null && record.ttfc_ms !== null && record.ttfc_ms > record.ttft_ms, `ttfc ${record.ttfc_ms} ttft ${record.ttft_ms}`);
      }
      assert.equal(collector.summaryOf(collector.overall, 1, false).reasoning_tokens_total, 3 * 7);
    });
  }

  const cases = [
    { protocol: "openai-responses", tooled: withTools("openai-responses-with-tools", responsesProtocol, [RESPONSES_TOOL]) },
    { protocol: "anthropic-messages", tooled: withTools("anthropic-messages-with-tools", messagesProtocol, [MESSAGES_TOOL]) },
  ];
  for (const { protocol, tooled } of cases) {
    test(`${protocol}: a streamed tool call is tool_call_count 1, its opening and pieces answer tokens`, async () => {
      const options = driverOptions(emulator().url, { headers: { ...FORCE_CALL, "x-tokenstorm-reasoning-tokens": "2" } });
      const { records, collector } = await runRequests(tooled, options, 3, 100);
      assert.equal(collector.summaryOf(collector.overall, 1, false).tool_calls_total, 3);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.deepEqual([record.reasoning_tokens, record.tool_call_count], [2, 1]);
        // Reasoning 2, the call's opening 1, its argument pieces 7: all of them chunks, none lost.
        assert.deepEqual([record.tokens, record.chunks, record.tokens_lost], [10, 10, 0]);
      }
    });
  }
});

describe("the emulator's Ollama /api/chat and /api/generate thinking and tool calls, read by the official ollama SDK", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 30, seed: 11, text: "counter", reasoningTokens: REASONING, warmUp: false });
  const client = (headers: Record<string, string> = {}): Ollama => new Ollama({ host: emulator().url, headers });
  const MESSAGES = [{ role: "user", content: "what is the weather like" }];

  test("chat({stream: true}): thinking pieces, then content; eval_count counts both; think: false turns thinking off", async () => {
    const thinking: string[] = [];
    const content: string[] = [];
    let last;
    for await (const chunk of await client().chat({ model: "m", messages: MESSAGES, stream: true, options: { num_predict: 9 } })) {
      if (chunk.message.thinking) thinking.push(chunk.message.thinking);
      if (chunk.message.content) content.push(chunk.message.content);
      assert.ok(!(chunk.message.thinking && chunk.message.content), "a chunk carries thinking or content, not both");
      last = chunk;
    }
    assert.equal(thinking.length, REASONING);
    assert.equal(thinking.join(""), counterText(REASONING));
    assert.equal(content.join(""), counterText(9));
    assert.deepEqual([last!.done, last!.done_reason, last!.eval_count], [true, "length", REASONING + 9]);

    const generate = await client().generate({ model: "m", prompt: "hi", stream: false, options: { num_predict: 4 } });
    assert.deepEqual([generate.thinking, generate.response, generate.eval_count], [counterText(REASONING), counterText(4), REASONING + 4]);
    const whole = await client().chat({ model: "m", messages: MESSAGES, stream: false, options: { num_predict: 4 } });
    assert.deepEqual([whole.message.thinking, whole.message.content], [counterText(REASONING), counterText(4)]);
    const unthinking = await client().chat({ model: "m", messages: MESSAGES, stream: false, think: false, options: { num_predict: 4 } });
    assert.deepEqual([unthinking.message.thinking, unthinking.message.content, unthinking.eval_count], [undefined, counterText(4), 4]);
  });

  test("chat() with tools: the call arrives whole, in one chunk after the thinking, its arguments an object", async () => {
    const chunks = [];
    for await (const chunk of await client(FORCE_CALL).chat({ model: "m", messages: MESSAGES, stream: true, tools: [CHAT_TOOL] })) chunks.push(chunk);
    // Thinking pieces, the call, the done line: nothing for the call's other tokens.
    assert.equal(chunks.length, REASONING + 2, JSON.stringify(chunks.map((c) => c.message)));
    const call = chunks[REASONING]!.message;
    assert.deepEqual([call.content, call.tool_calls], ["", [{ function: { name: "get_weather", arguments: ARGUMENTS } }]]);
    const done = chunks.at(-1)!;
    assert.deepEqual([done.done, done.done_reason, done.eval_count], [true, "stop", REASONING + 1 + ARGUMENT_PIECES.length]);

    const whole = await client(FORCE_CALL).chat({ model: "m", messages: MESSAGES, stream: false, tools: [CHAT_TOOL] });
    assert.deepEqual([whole.message.content, whole.message.tool_calls], ["", [{ function: { name: "get_weather", arguments: ARGUMENTS } }]]);
  });

  test("a bad think is a 400", async () => {
    const response = await fetch(`${emulator().url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "m", messages: MESSAGES, think: "maybe" }) });
    assert.equal(response.status, 400);
    // In Ollama's error shape, which its SDK reads.
    assert.match(((await response.json()) as { error: string }).error, /^'think' must be a boolean or one of high, medium, low$/);
  });
});

describe("the ollama drivers: the text of a cut stream, a tool call sent whole", () => {
  const emulator = emulatorForSuite({ ttftMs: 3, itlMs: 2, length: 10, seed: 5, text: "counter", warmUp: false });

  test("ollama-chat with a tokenizer: a stream cut before its done line (no eval_count) counts the text received", async () => {
    const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "truncate" } });
    const words = (text: string): number => text.split(" ").filter(Boolean).length;
    const { records } = await runRequests(findProtocol("ollama-chat"), options, 2, 8, { countTokens: words });
    for (const record of records) {
      assert.equal(record.ok, false, "cut before done:true");
      assert.ok(record.chunks > 0);
      assert.deepEqual([record.tokens, record.tokens_source], [record.chunks, "tokenizer"], "one counter word per chunk");
    }
  });

  test("ollama-chat: a tool call is one chunk standing for all its tokens: tool_call_count 1, none read as lost", async () => {
    const options = driverOptions(emulator().url, { headers: { ...FORCE_CALL, "x-tokenstorm-reasoning-tokens": "2" } });
    const { records, collector } = await runRequests(withTools("ollama-chat-with-tools", ollamaChatProtocol, [CHAT_TOOL]), options, 3, 100);
    assert.equal(collector.summaryOf(collector.overall, 1, false).tool_calls_total, 3);
    for (const record of records) {
      assert.equal(record.ok, true, record.error ?? "");
      assert.deepEqual([record.reasoning_tokens, record.tool_call_count], [2, 1]);
      // eval_count: reasoning 2, the call's 1 + 7; chunks: the 2 thinking pieces and the call.
      assert.deepEqual([record.tokens, record.chunks, record.tokens_lost], [10, 3, 0]);
    }
  });
});
