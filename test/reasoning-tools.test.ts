// Reasoning and tool calls (issue 18 item 2, issue 17 item 6): the official `openai` SDK reads the
// emulator's reasoning_content deltas and streamed tool calls and reassembles exactly what the
// emulator generated; the tool-call draw is seeded; /stats and /metrics count both; bad flags and
// headers are refused; and the openai-chat driver tells reasoning, answer and tool calls apart
// (reasoning_tokens and tool_call_count exact, TTFC after TTFT).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "./helpers/cli.js";
import type { Report } from "../src/report/types.js";
import { findProtocol } from "../src/protocols/registry.js";
import { startEmulator } from "../src/emulator/index.js";
import { chatProtocol } from "../src/protocols/openai/client.js";
import { HttpStreamDriver } from "../src/protocols/http/stream-driver.js";
import type { ProtocolDefinition } from "../src/protocols/types.js";

const REASONING = 6;
const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "the weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" }, days: { type: "integer" } } },
  },
};
const MESSAGES = [{ role: "user" as const, content: "what is the weather like" }];

function sdkClient(baseURL: string, defaultHeaders: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey: "test-key", baseURL: `${baseURL}/v1`, maxRetries: 0, timeout: 10_000, defaultHeaders });
}

/** The emulator's counter text: token i is `token_i`, pieces after the first with a leading space. */
function counterText(tokens: number): string {
  return Array.from({ length: tokens }, (_, index) => `token_${index}`).join(" ");
}

/** The SDK's delta type has no reasoning field (not part of OpenAI's own API); vLLM and DeepSeek send it. */
function reasoningOf(delta: object | undefined): string {
  const value = (delta as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  return typeof value === "string" ? value : "";
}

describe("the official openai SDK reads the emulator's reasoning and tool calls", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 30, seed: 11, text: "counter", reasoningTokens: REASONING, warmUp: false });

  test("create({stream:true}): reasoning_content deltas then content, reassembled as generated; usage counts the reasoning", async () => {
    const client = sdkClient(emulator().url);
    const stream = await client.chat.completions.create({ model: "m", messages: MESSAGES, max_tokens: 9, stream: true, stream_options: { include_usage: true } });
    let reasoning = "";
    let content = "";
    let reasoningDeltas = 0;
    let contentDeltas = 0;
    let sawContentBeforeReasoningEnded = false;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const piece = reasoningOf(choice.delta);
      if (piece) {
        reasoningDeltas++;
        if (contentDeltas > 0) sawContentBeforeReasoningEnded = true;
        reasoning += piece;
      }
      if (choice.delta.content) {
        contentDeltas++;
        content += choice.delta.content;
      }
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(reasoning, counterText(REASONING));
    assert.equal(content, counterText(9));
    assert.deepEqual([reasoningDeltas, contentDeltas], [REASONING, 9], "one delta per token");
    assert.equal(sawContentBeforeReasoningEnded, false, "every reasoning delta comes before the answer");
    assert.equal(finish, "length");
    assert.ok(usage);
    assert.equal(usage.completion_tokens, REASONING + 9, "completion tokens include the reasoning, as OpenAI and vLLM count them");
    assert.equal(usage.completion_tokens_details?.reasoning_tokens, REASONING);

    // Non-streamed, the same request gets the same texts in message.reasoning_content and content.
    const whole = await client.chat.completions.create({ model: "m", messages: MESSAGES, max_tokens: 9 });
    assert.equal(reasoningOf(whole.choices[0]!.message), reasoning);
    assert.equal(whole.choices[0]!.message.content, content);
    assert.equal(whole.usage?.completion_tokens_details?.reasoning_tokens, REASONING);
  });

  test("x-tokenstorm-reasoning-tokens sets a request's reasoning; 0 turns it off", async () => {
    for (const asked of [2, 0]) {
      const client = sdkClient(emulator().url, { "x-tokenstorm-reasoning-tokens": String(asked) });
      const whole = await client.chat.completions.create({ model: "m", messages: MESSAGES, max_tokens: 4 });
      assert.equal(reasoningOf(whole.choices[0]!.message), counterText(asked));
      assert.equal(whole.usage?.completion_tokens, asked + 4);
      assert.equal(whole.usage?.completion_tokens_details?.reasoning_tokens, asked === 0 ? undefined : asked);
    }
  });

  test("stream() with tools: the SDK's helpers reassemble the tool call's arguments exactly; finish_reason tool_calls", async () => {
    const client = sdkClient(emulator().url, { "x-tokenstorm-tool-call": "1" });
    const stream = client.chat.completions.stream({ model: "m", messages: MESSAGES, tools: [WEATHER_TOOL], stream: true, stream_options: { include_usage: true } });
    const argumentDeltas: string[] = [];
    let reasoningDeltas = 0;
    let contentDeltas = 0;
    stream.on("chunk", (chunk) => {
      const delta = chunk.choices[0]?.delta;
      if (reasoningOf(delta)) reasoningDeltas++;
      if (delta?.content) contentDeltas++;
    });
    stream.on("tool_calls.function.arguments.delta", (event) => argumentDeltas.push(event.arguments_delta));
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(contentDeltas, 0, "a tool call instead of the answer's content");
    assert.equal(reasoningDeltas, REASONING, "the reasoning still comes first");
    const calls = choice.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.type, "function");
    assert.match(call.id, /^call_[0-9a-f]{24}$/);
    const fn = call.type === "function" ? call.function : { name: "", arguments: "" };
    assert.equal(fn.name, "get_weather");
    // Keyed by the schema's properties in order, valued with the counter's words.
    assert.deepEqual(JSON.parse(fn.arguments), { city: "token_0", unit: "token_1", days: "token_2" });
    // The SDK reports the opening delta (id and name, empty arguments), then each piece as it came.
    assert.equal(argumentDeltas[0], "");
    assert.deepEqual(argumentDeltas.slice(1), ['{"city": ', '"token_0"', ', "unit": ', '"token_1"', ', "days": ', '"token_2"', "}"]);
    assert.equal(argumentDeltas.join(""), fn.arguments);
    // Its tokens: the reasoning, the call's opening (id and name), one per argument piece.
    assert.equal(completion.usage?.completion_tokens, REASONING + 1 + 7);
    assert.equal(completion.usage?.completion_tokens_details?.reasoning_tokens, REASONING);

    // Non-streamed, the same call in message.tool_calls with the same arguments, and no content.
    const whole = await client.chat.completions.create({ model: "m", messages: MESSAGES, tools: [WEATHER_TOOL] });
    const message = whole.choices[0]!.message;
    assert.equal(whole.choices[0]!.finish_reason, "tool_calls");
    assert.equal(message.content, null);
    const wholeCall = message.tool_calls?.[0];
    assert.ok(wholeCall && wholeCall.type === "function");
    assert.equal(wholeCall.function.name, "get_weather");
    assert.equal(wholeCall.function.arguments, fn.arguments);
  });

  test("a tool without parameters is called with {}; x-tokenstorm-tool-call: 0 and requests without tools answer with content", async () => {
    const bare = { type: "function" as const, function: { name: "ping" } };
    const forced = await sdkClient(emulator().url, { "x-tokenstorm-tool-call": "1" }).chat.completions.create({ model: "m", messages: MESSAGES, tools: [bare] });
    const call = forced.choices[0]!.message.tool_calls?.[0];
    assert.ok(call && call.type === "function");
    assert.deepEqual([call.function.name, call.function.arguments], ["ping", "{}"]);
    const refused = await sdkClient(emulator().url, { "x-tokenstorm-tool-call": "0" }).chat.completions.create({ model: "m", messages: MESSAGES, tools: [bare], max_tokens: 3 });
    assert.equal(refused.choices[0]!.finish_reason, "length");
    assert.equal(refused.choices[0]!.message.content, counterText(3));
    const noTools = await sdkClient(emulator().url, { "x-tokenstorm-tool-call": "1" }).chat.completions.create({ model: "m", messages: MESSAGES, max_tokens: 3 });
    assert.equal(noTools.choices[0]!.finish_reason, "length");
    assert.equal(noTools.choices[0]!.message.tool_calls, undefined);
  });

  test("bad override headers and a tools entry without a name are 400s", async () => {
    const url = `${emulator().url}/v1/chat/completions`;
    const post = (headers: Record<string, string>, body: object): Promise<Response> =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const plain = { model: "m", messages: MESSAGES, max_tokens: 2 };
    for (const [headers, body, mention] of [
      [{ "x-tokenstorm-reasoning-tokens": "-1" }, plain, "x-tokenstorm-reasoning-tokens"],
      [{ "x-tokenstorm-reasoning-tokens": "1.5" }, plain, "x-tokenstorm-reasoning-tokens"],
      [{ "x-tokenstorm-tool-call": "yes" }, plain, "x-tokenstorm-tool-call"],
      [{}, { ...plain, tools: [{ type: "function", function: {} }] }, "tools[0].function.name"],
      [{}, { ...plain, tools: "get_weather" }, "'tools'"],
    ] as const) {
      const response = await post(headers, body);
      assert.equal(response.status, 400);
      const error = (await response.json()) as { error: { message: string } };
      assert.ok(error.error.message.includes(mention), error.error.message);
    }
  });
});

describe("--tool-call-rate: a seeded draw over the requests offering tools; /stats and /metrics count", () => {
  /** The finish reasons of `count` non-streamed requests, every third without tools. */
  async function finishReasons(url: string, count: number): Promise<string[]> {
    const client = sdkClient(url);
    const reasons: string[] = [];
    for (let i = 0; i < count; i++) {
      const tools = i % 3 === 2 ? {} : { tools: [WEATHER_TOOL] };
      const response = await client.chat.completions.create({ model: "m", messages: MESSAGES, max_tokens: 2, ...tools });
      reasons.push(response.choices[0]!.finish_reason);
    }
    return reasons;
  }

  test("the same seed calls tools on the same requests; only requests offering tools are drawn; the counters agree", async () => {
    const options = { port: 0, ttftMs: 0, itlMs: 0, seed: 42, toolCallRate: 0.5, reasoningTokens: 3, warmUp: false } as const;
    const first = await startEmulator(options);
    const second = await startEmulator(options);
    try {
      const a = await finishReasons(first.url, 60);
      const b = await finishReasons(second.url, 60);
      assert.deepEqual(a, b, "same seed, same draws");
      const calls = a.filter((reason) => reason === "tool_calls").length;
      assert.ok(calls > 5 && calls < 35, `${calls} tool calls of 40 requests offering tools at rate 0.5`);
      a.forEach((reason, i) => {
        if (i % 3 === 2) assert.equal(reason, "length", `request ${i} offered no tools`);
      });
      const stats = first.stats();
      assert.equal(stats.toolCalls, calls);
      assert.equal(stats.reasoningTokensSent, 60 * 3);
      // Content requests: 3 + 2 tokens; tool calls: 3 + 1 + 7.
      assert.equal(stats.tokensSent, (60 - calls) * 5 + calls * 11);
      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`^tokenstorm_emulator_tool_calls_total ${calls}$`, "m"));
      assert.match(metrics, /^tokenstorm_emulator_reasoning_tokens_total 180$/m);
      assert.match(metrics, new RegExp(`^vllm:generation_tokens_total\\{model_name="tokenstorm-emulator"\\} ${stats.tokensSent}$`, "m"));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  test("emulate: bad --reasoning-tokens and --tool-call-rate are one line naming the flag, exit 2", async () => {
    const result = await runCli(["emulate", "--port", "0", "--reasoning-tokens", "-3", "--tool-call-rate", "1.5"]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /--reasoning-tokens must be an integer >= 0 \(got "-3"\)/);
    assert.match(lines[0]!, /--tool-call-rate must be a number from 0 to 1 \(got "1\.5"\)/);
  });
});

describe("the openai-chat driver tells reasoning, answer and tool calls apart", () => {
  const emulator = emulatorForSuite({ ttftMs: 3, itlMs: 2, length: 10, seed: 5, text: "counter", warmUp: false });
  const protocol = findProtocol("openai-chat");

  test("reasoning_tokens exact; TTFT at the first reasoning token, TTFC at the first answer token", async () => {
    const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-reasoning-tokens": "7" } });
    const { records, collector } = await runRequests(protocol, options, 4, 5);
    for (const record of records) {
      assert.equal(record.ok, true, record.error ?? "");
      assert.equal(record.reasoning_tokens, 7);
      assert.equal(record.tool_call_count, 0);
      assert.equal(record.tokens, 12, "usage completion tokens: reasoning + answer");
      assert.equal(record.chunks, 12);
      assert.equal(record.tokens_lost, 0);
      assert.ok(record.ttft_ms !== null && record.ttfc_ms !== null);
      // The answer comes after seven reasoning tokens (how long after: test/timing/reasoning-timing.test.ts).
      assert.ok(record.ttfc_ms > record.ttft_ms, `ttfc ${record.ttfc_ms} ttft ${record.ttft_ms}`);
    }
    assert.equal(collector.overall.latency.ttfc.count, 4);
    assert.equal(collector.summaryOf(collector.overall, 1, false).reasoning_tokens_total, 4 * 7);
  });

  test("without reasoning, TTFC is TTFT and reasoning_tokens 0", async () => {
    const { records } = await runRequests(protocol, driverOptions(emulator().url), 2, 5);
    for (const record of records) {
      assert.equal(record.reasoning_tokens, 0);
      assert.equal(record.ttfc_ms, record.ttft_ms);
    }
  });

  test("a streamed tool call: tool_call_count 1, its deltas are answer tokens, every one counted", async () => {
    // run does not send `tools` yet (datasets will); the chat protocol with tools in its body stands in.
    const withTools: ProtocolDefinition = {
      name: "openai-chat-with-tools",
      description: "openai-chat sending one tool",
      create: (options) => new HttpStreamDriver({ ...chatProtocol, body: (spec, driver) => ({ ...(chatProtocol.body(spec, driver) as object), tools: [WEATHER_TOOL] }) }, options),
    };
    const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-tool-call": "1", "x-tokenstorm-reasoning-tokens": "2" } });
    const { records, collector } = await runRequests(withTools, options, 3, 5);
    const summary = collector.summaryOf(collector.overall, 1, false);
    assert.deepEqual([summary.tool_calls_total, summary.reasoning_tokens_total], [3, 6]);
    for (const record of records) {
      assert.equal(record.ok, true, record.error ?? "");
      assert.equal(record.tool_call_count, 1);
      assert.equal(record.reasoning_tokens, 2);
      // Reasoning 2, the call's opening 1, its argument pieces 7: all of them chunks, none lost.
      assert.deepEqual([record.tokens, record.chunks, record.tokens_lost], [10, 10, 0]);
      assert.ok(record.ttft_ms !== null && record.ttfc_ms !== null && record.ttfc_ms > record.ttft_ms, `ttfc ${record.ttfc_ms} ttft ${record.ttft_ms}`);
    }
  });
});

test("run --workers 2 and merged --segment files: ttfc and the reasoning total survive the merge", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 2, itlMs: 1, warmUp: false });
  try {
    const cwd = tempDir();
    const args = ["run", "--target", emulator.url, "--protocol", "openai-chat", "--clients", "4", "--cycles", "3", "--length", "4",
      "--header", "x-tokenstorm-reasoning-tokens: 3", "--no-save", "--quiet"];
    const options = { cwd, timeoutMs: 60_000 };
    const workers = await runCli([...args, "--workers", "2", "--out", "workers.json"], options);
    assert.equal(workers.code, 0, workers.stderr);
    const parts = await Promise.all([1, 2].map((i) => runCli([...args, "--segment", `${i}/2`, "--out", `segment-${i}.json`], options)));
    for (const part of parts) assert.equal(part.code, 0, part.stderr);
    const merge = await runCli(["merge", "segment-1.json", "segment-2.json", "--out", "merged.json", "--quiet"], options);
    assert.equal(merge.code, 0, merge.stderr);
    for (const file of ["workers.json", "merged.json"]) {
      const report = JSON.parse(readFileSync(join(cwd, file), "utf8")) as Report;
      assert.equal(report.summary.successful, 12, file);
      assert.equal(report.summary.tokens_total, 12 * 7, file);
      assert.equal(report.summary.reasoning_tokens_total, 12 * 3, file);
      assert.equal(report.summary.tool_calls_total, undefined, `${file}: no tool calls, no field`);
      assert.equal(report.latency.ttfc?.count, 12, file);
      // Each request's first answer token comes after its first token, so the distribution does too
      // (equal p50s are possible: the histograms' buckets round).
      assert.ok(report.latency.ttfc.p50 >= report.latency.ttft!.p50 && report.latency.ttfc.min >= report.latency.ttft!.min, file);
    }
  } finally {
    await emulator.close();
  }
});

describe("counters without a reasoning renderer", () => {
  const emulator = emulatorForSuite({ ttftMs: 0, itlMs: 0, length: 4, reasoningTokens: 5, warmUp: false });

  test("/v1/completions has no place for reasoning: it sends none (Ollama's /api/generate has one: thinking)", async () => {
    const completion = (await (
      await fetch(`${emulator().url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", prompt: "hi" }) })
    ).json()) as { usage: { completion_tokens: number; completion_tokens_details?: unknown } };
    assert.equal(completion.usage.completion_tokens, 4);
    assert.equal(completion.usage.completion_tokens_details, undefined);
    const generate = (await (
      await fetch(`${emulator().url}/api/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", prompt: "hi", stream: false }) })
    ).json()) as { eval_count: number; thinking?: string };
    assert.deepEqual([generate.eval_count, generate.thinking?.split(" ").length], [4 + 5, 5]);
    assert.equal(emulator().stats().reasoningTokensSent, 5, "Ollama's only");
  });
});
