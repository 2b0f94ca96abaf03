// The emulator over real loopback HTTP: wire formats of every endpoint, exact token counts, input
// errors, admission (429, queueing), failure injection and shutdown. Timing is only checked loosely
// here; precise timing lives in the timing suite (test/timing/).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "undici";
import { emulateOptionsFromFlags } from "../src/cli/emulate.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/index.js";
import { pieceSource } from "../src/emulator/text.js";
import { emulatorForSuite } from "./helpers/emulator.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function call(
  emulator: RunningEmulator,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await request(`${emulator.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

/** Payloads of the SSE data events, in order. */
function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.length > 0)
    .map((event) => {
      assert.ok(event.startsWith("data: "), `not an SSE data event: ${event}`);
      return event.slice("data: ".length);
    });
}

function ndjsonLines(text: string): unknown[] {
  assert.ok(text.endsWith("\n"), "NDJSON body must end with a newline");
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as unknown);
}

function assertOpenAIError(reply: Reply, status: number): void {
  assert.equal(reply.status, status);
  const body = JSON.parse(reply.text) as { error: Record<string, unknown> };
  assert.equal(typeof body.error.message, "string");
  assert.equal(body.error.type, status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error");
  assert.ok("param" in body.error && "code" in body.error);
}

/** Ollama's endpoints answer errors in Ollama's shape: `{"error": "..."}`. */
function assertOllamaError(reply: Reply, status: number): void {
  assert.equal(reply.status, status);
  const body = JSON.parse(reply.text) as { error: unknown };
  assert.equal(typeof body.error, "string", reply.text);
  assert.ok((body.error as string).length > 0);
}

const chatBody = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: "any",
  messages: [{ role: "user", content: "tell me a story" }],
  stream: true,
  ...extra,
});

function withEmulator(options: EmulatorOptions, body: (get: () => RunningEmulator) => void): void {
  body(emulatorForSuite({ seed: 1, ...options }));
}

describe("wire formats", () => {
  withEmulator({ ttftMs: 5, itlMs: 1, length: 12 }, (emulator) => {
    test("chat stream: exact chunks, role first, finish chunk, usage chunk, [DONE]", async () => {
      const reply = await call(
        emulator(),
        "/v1/chat/completions",
        chatBody({ max_tokens: 7, stream_options: { include_usage: true } }),
      );
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers["content-type"]), /^text\/event-stream/);
      const events = sseData(reply.text);
      assert.equal(events.at(-1), "[DONE]");
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
      assert.equal(chunks.length, 7 + 2);
      const content = chunks.slice(0, 7);
      content.forEach((chunk, index) => {
        assert.equal(chunk.object, "chat.completion.chunk");
        assert.equal(chunk.model, "tokenstorm-emulator");
        assert.equal(chunk.id, chunks[0].id);
        assert.equal(typeof chunk.created, "number");
        assert.equal(chunk.choices.length, 1);
        assert.equal(chunk.choices[0].index, 0);
        assert.equal(chunk.choices[0].finish_reason, null);
        assert.equal(chunk.choices[0].delta.role, index === 0 ? "assistant" : undefined);
        assert.match(chunk.choices[0].delta.content, index === 0 ? /^\S+$/ : /^ \S+$/);
      });
      assert.equal(content.map((chunk) => chunk.choices[0].delta.content).join(""), "lorem ipsum dolor sit amet consectetur adipiscing");
      assert.deepEqual(chunks[7].choices, [{ index: 0, delta: {}, finish_reason: "length" }]);
      assert.deepEqual(chunks[8].choices, []);
      assert.deepEqual(chunks[8].usage, { prompt_tokens: 4, completion_tokens: 7, total_tokens: 11 });
    });

    test("chat stream without max_tokens: default length, finish_reason stop, no usage chunk", async () => {
      const events = sseData((await call(emulator(), "/v1/chat/completions", chatBody())).text);
      assert.equal(events.length, 12 + 2);
      const finish = JSON.parse(events[12]!);
      assert.equal(finish.choices[0].finish_reason, "stop");
      assert.equal(events[13], "[DONE]");
    });

    test("max_completion_tokens sets the length of a chat response", async () => {
      const events = sseData((await call(emulator(), "/v1/chat/completions", chatBody({ max_completion_tokens: 3 }))).text);
      assert.equal(events.length, 3 + 2);
    });

    test("completions stream: text chunks, finish chunk, usage, [DONE]", async () => {
      const reply = await call(emulator(), "/v1/completions", {
        prompt: "one two",
        stream: true,
        max_tokens: 5,
        stream_options: { include_usage: true },
      });
      const events = sseData(reply.text);
      assert.equal(events.at(-1), "[DONE]");
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
      assert.equal(chunks.length, 5 + 2);
      for (const chunk of chunks.slice(0, 5)) {
        assert.equal(chunk.object, "text_completion");
        assert.equal(chunk.choices[0].finish_reason, null);
      }
      assert.equal(chunks.slice(0, 5).map((chunk) => chunk.choices[0].text).join(""), "lorem ipsum dolor sit amet");
      assert.deepEqual(chunks[5].choices, [{ index: 0, text: "", finish_reason: "length" }]);
      assert.deepEqual(chunks[6].usage, { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
    });

    test("non-streamed chat and completions answer one JSON object after the generation time", async () => {
      const startedAt = performance.now();
      const chat = await call(emulator(), "/v1/chat/completions", chatBody({ stream: false, max_tokens: 20 }));
      // ttft 5 + 19 gaps of 1 ms
      assert.ok(performance.now() - startedAt >= 24);
      assert.equal(chat.status, 200);
      const chatJson = JSON.parse(chat.text);
      assert.equal(chatJson.object, "chat.completion");
      assert.equal(chatJson.choices[0].message.role, "assistant");
      assert.equal(chatJson.choices[0].message.content.split(" ").length, 20);
      assert.equal(chatJson.choices[0].finish_reason, "length");
      assert.deepEqual(chatJson.usage, { prompt_tokens: 4, completion_tokens: 20, total_tokens: 24 });

      const completion = JSON.parse((await call(emulator(), "/v1/completions", { prompt: "a b c" })).text);
      assert.equal(completion.object, "text_completion");
      assert.equal(completion.choices[0].text.split(" ").length, 12);
      assert.equal(completion.choices[0].finish_reason, "stop");
      assert.deepEqual(completion.usage, { prompt_tokens: 3, completion_tokens: 12, total_tokens: 15 });
    });

    test("seed 004 NDJSON on Accept: application/x-ndjson: exactly max_tokens lines, no end marker", async () => {
      const reply = await call(emulator(), "/v1/completions", { prompt: "x", max_tokens: 25 }, { accept: "application/x-ndjson" });
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers["content-type"]), /^application\/x-ndjson/);
      const expected = Array.from({ length: 25 }, (_, index) => `{"text":"token_${index}"}\n`).join("");
      assert.equal(reply.text, expected);
    });

    test("Ollama /api/generate streams done:false lines and a final done:true with counts", async () => {
      const startedAt = performance.now();
      const reply = await call(emulator(), "/api/generate", { model: "m", prompt: "why is the sky blue", options: { num_predict: 6 } });
      const elapsedNs = (performance.now() - startedAt) * 1e6;
      assert.match(String(reply.headers["content-type"]), /^application\/x-ndjson/);
      const lines = ndjsonLines(reply.text) as Array<Record<string, unknown>>;
      assert.equal(lines.length, 7);
      for (const line of lines.slice(0, 6)) {
        assert.equal(line["done"], false);
        assert.equal(line["model"], "tokenstorm-emulator");
        assert.ok(!Number.isNaN(Date.parse(String(line["created_at"]))));
      }
      assert.equal(lines.slice(0, 6).map((line) => line["response"]).join(""), "lorem ipsum dolor sit amet consectetur");
      const final = lines[6]!;
      assert.equal(final["done"], true);
      assert.equal(final["response"], "");
      assert.equal(final["done_reason"], "length");
      assert.equal(final["eval_count"], 6);
      assert.equal(final["prompt_eval_count"], 5);
      const total = final["total_duration"] as number;
      const parts = ["load_duration", "prompt_eval_duration", "eval_duration"].map((key) => final[key] as number);
      for (const value of [total, ...parts]) assert.ok(Number.isInteger(value) && value >= 0);
      assert.ok(Math.abs(parts.reduce((sum, value) => sum + value, 0) - total) <= 3, "durations add up to the total");
      // ttft 5 ms + 5 gaps of 1 ms, and no more than the client saw
      assert.ok(total >= 10e6 && total <= elapsedNs, `total_duration ${total} ns`);
    });

    test("Ollama /api/chat with stream:false answers one object with the whole message", async () => {
      const reply = await call(emulator(), "/api/chat", { model: "m", messages: [{ role: "user", content: "hi there" }], stream: false });
      const body = JSON.parse(reply.text);
      assert.equal(body.done, true);
      assert.equal(body.done_reason, "stop");
      assert.equal(body.message.role, "assistant");
      assert.equal(body.message.content.split(" ").length, 12);
      assert.equal(body.eval_count, 12);
      assert.equal(body.prompt_eval_count, 2);
    });

    test("Ollama /api/chat streams message pieces", async () => {
      const reply = await call(emulator(), "/api/chat", { model: "m", messages: [{ role: "user", content: "hi" }], options: { num_predict: 3 } });
      const lines = ndjsonLines(reply.text) as Array<{ message: { content: string }; done: boolean }>;
      assert.deepEqual(lines.map((line) => line.message.content), ["lorem", " ipsum", " dolor", ""]);
      assert.deepEqual(lines.map((line) => line.done), [false, false, false, true]);
    });

    test("GET /v1/models, /health and /stats", async () => {
      const models = JSON.parse((await call(emulator(), "/v1/models")).text);
      assert.equal(models.object, "list");
      assert.equal(models.data[0].id, "tokenstorm-emulator");
      assert.deepEqual(JSON.parse((await call(emulator(), "/health")).text), { status: "ok" });
      const stats = JSON.parse((await call(emulator(), "/stats")).text);
      for (const key of ["requests", "active", "waiting", "completed", "rejected", "errorsInjected", "disconnects", "truncations", "tokensSent"]) {
        assert.equal(typeof stats[key], "number", key);
      }
      assert.equal(typeof stats.lateness.p99, "number");
      assert.deepEqual(stats, { ...emulator().stats(), lateness: stats.lateness });
    });

    test("bad input answers 4xx in the OpenAI error shape", async () => {
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", "{not json"), 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", "[1,2]"), 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", { stream: true }), 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", chatBody({ messages: [] })), 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", chatBody({ max_tokens: 0 })), 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", chatBody({ stream: "yes" })), 400);
      assertOpenAIError(await call(emulator(), "/v1/completions", { stream: true }), 400);
      assertOllamaError(await call(emulator(), "/api/generate", { prompt: "no model" }), 400);
      assertOllamaError(await call(emulator(), "/api/chat", "{not json"), 400);
      assertOpenAIError(await call(emulator(), "/v1/unknown", {}), 404);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions"), 405);
      const badHeader = await call(emulator(), "/v1/chat/completions", chatBody(), { "x-tokenstorm-itl-ms": "fast" });
      assertOpenAIError(badHeader, 400);
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", chatBody(), { "x-tokenstorm-fail": "200" }), 400);
      const health = await call(emulator(), "/health");
      assert.equal(health.status, 200, "the emulator still serves after bad input");
    });
  });
});

describe("text modes and NDJSON by option", () => {
  withEmulator({ ttftMs: 1, itlMs: 0, text: "echo", ndjsonCompletions: true }, (emulator) => {
    test("echo repeats the prompt's words cyclically", async () => {
      const reply = await call(emulator(), "/v1/chat/completions", chatBody({ stream: false, max_tokens: 6, messages: [{ role: "user", content: "red green" }] }));
      assert.equal(JSON.parse(reply.text).choices[0].message.content, "red green red green red green");
    });

    test("ndjsonCompletions serves NDJSON without the Accept header", async () => {
      const reply = await call(emulator(), "/v1/completions", { prompt: "x", max_tokens: 3, stream: true });
      assert.equal(reply.text, '{"text":"token_0"}\n{"text":"token_1"}\n{"text":"token_2"}\n');
    });
  });

  withEmulator({ ttftMs: 1, itlMs: 0, text: "counter" }, (emulator) => {
    test("counter numbers the tokens", async () => {
      const reply = await call(emulator(), "/v1/completions", { prompt: "x", max_tokens: 3 });
      assert.equal(JSON.parse(reply.text).choices[0].text, "token_0 token_1 token_2");
    });
  });
});

/** Open a stream and resolve once its first body bytes arrived; the rest is read by `rest`. */
async function openStream(emulator: RunningEmulator, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(`${emulator.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const iterator = response.body[Symbol.asyncIterator]();
  let text = "";
  if (response.statusCode === 200) text += String((await iterator.next()).value ?? "");
  const rest = async (): Promise<{ text: string; error?: unknown }> => {
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) text += String(next.value);
      return { text };
    } catch (error) {
      return { text, error };
    }
  };
  return { response, firstText: text, rest, abort: () => response.body.destroy() };
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("admission", () => {
  withEmulator({ ttftMs: 5, itlMs: 5, length: 40, maxRunning: 1, maxWaiting: 0 }, (emulator) => {
    test("a full queue answers 429 with Retry-After: 1", async () => {
      const first = await openStream(emulator(), chatBody());
      const second = await call(emulator(), "/v1/chat/completions", chatBody());
      assertOpenAIError(second, 429);
      assert.equal(second.headers["retry-after"], "1");
      const firstRest = await first.rest();
      assert.ok(firstRest.text.endsWith("data: [DONE]\n\n"));
      assert.equal(emulator().stats().rejected, 1);
    });

    test("a client leaving mid-stream frees its slot", async () => {
      const first = await openStream(emulator(), chatBody());
      first.abort();
      await waitFor(() => emulator().stats().active === 0);
      const second = await call(emulator(), "/v1/chat/completions", chatBody({ max_tokens: 2 }));
      assert.equal(second.status, 200);
      assert.ok(emulator().stats().clientAborts >= 1);
    });
  });

  withEmulator({ ttftMs: 5, itlMs: 5, length: 20, maxRunning: 1 }, (emulator) => {
    test("beyond maxRunning requests wait in FIFO order and the wait comes before the first token", async () => {
      const startedAt = performance.now();
      const first = openStream(emulator(), chatBody());
      await waitFor(() => emulator().stats().active === 1);
      const second = openStream(emulator(), chatBody({ max_tokens: 1 }));
      await waitFor(() => emulator().stats().waiting === 1);
      const secondStream = await second;
      // The first stream needs 5 + 19 * 5 ms; the second's first token cannot come before that.
      assert.ok(performance.now() - startedAt >= 100, "second stream waited for the first");
      assert.ok((await secondStream.rest()).text.endsWith("[DONE]\n\n"));
      await (await first).rest();
      assert.equal(emulator().stats().waiting, 0);
    });

    test("a client leaving the queue gives up its place and never starts", async () => {
      const tokensBefore = emulator().stats().tokensSent;
      const first = await openStream(emulator(), chatBody());
      // Headers arrive at once; the body would only start once admitted.
      const queued = await request(`${emulator().url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(chatBody()) });
      await waitFor(() => emulator().stats().waiting === 1);
      queued.body.destroy();
      await waitFor(() => emulator().stats().waiting === 0);
      await first.rest();
      // Had the queued request been admitted, it would be running now.
      assert.equal(emulator().stats().active, 0);
      assert.equal(emulator().stats().tokensSent - tokensBefore, 20);
    });
  });
});

describe("load model", () => {
  withEmulator({ ttftMs: 0, itlMs: 10, length: 11, slowdownUnderLoad: 1 }, (emulator) => {
    test("slowdownUnderLoad stretches ITL with the number of running streams", async () => {
      const startedAt = performance.now();
      await Promise.all([call(emulator(), "/v1/chat/completions", chatBody()), call(emulator(), "/v1/chat/completions", chatBody())]);
      // Alone: 10 gaps of 10 ms; two at once: each gap is 10 * (1 + 1 * (2 - 1)) = 20 ms.
      assert.ok(performance.now() - startedAt >= 190);
    });
  });

  withEmulator({ ttftMs: 0, itlMs: 0, length: 11, extraDelayPerTokenMs: 10 }, (emulator) => {
    test("extraDelayPerTokenMs is added to every inter-token delay", async () => {
      const startedAt = performance.now();
      await call(emulator(), "/v1/chat/completions", chatBody());
      assert.ok(performance.now() - startedAt >= 100);
    });
  });
});

describe("failure injection", () => {
  withEmulator({ ttftMs: 0, itlMs: 0, length: 1, errorRate: 0.25, errorStatuses: [500, 503] }, (emulator) => {
    test("errorRate injects about that fraction of error statuses", async () => {
      emulator().resetStats();
      const statuses: number[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () => call(emulator(), "/v1/completions", { prompt: "x" })),
        );
        statuses.push(...replies.map((reply) => reply.status));
      }
      const errors = statuses.filter((status) => status !== 200);
      assert.ok(errors.every((status) => status === 500 || status === 503));
      assert.ok(errors.length >= 30 && errors.length <= 70, `${errors.length} of 200 failed`);
      const stats = emulator().stats();
      assert.equal(stats.errorsInjected, errors.length);
      assert.equal(stats.requests, 200);
      assert.equal(stats.completed, 200 - errors.length);
    });
  });

  withEmulator({ ttftMs: 1, itlMs: 1, length: 10 }, (emulator) => {
    test("x-tokenstorm-fail: <status> answers that status before streaming", async () => {
      assertOpenAIError(await call(emulator(), "/v1/chat/completions", chatBody(), { "x-tokenstorm-fail": "503" }), 503);
      assertOllamaError(await call(emulator(), "/api/generate", { model: "m", prompt: "x" }, { "x-tokenstorm-fail": "429" }), 429);
    });

    test("x-tokenstorm-fail: truncate ends cleanly after half the tokens without the end marker", async () => {
      const reply = await call(emulator(), "/v1/chat/completions", chatBody({ stream_options: { include_usage: true } }), {
        "x-tokenstorm-fail": "truncate",
      });
      assert.equal(reply.status, 200);
      const events = sseData(reply.text);
      assert.equal(events.length, 5);
      assert.ok(events.every((event) => JSON.parse(event).choices[0].finish_reason === null));
      const ollama = await call(emulator(), "/api/generate", { model: "m", prompt: "x" }, { "x-tokenstorm-fail": "truncate" });
      assert.ok((ndjsonLines(ollama.text) as Array<{ done: boolean }>).every((line) => !line.done));
    });

    test("x-tokenstorm-fail: malformed sends one invalid JSON event and otherwise completes", async () => {
      const events = sseData((await call(emulator(), "/v1/chat/completions", chatBody(), { "x-tokenstorm-fail": "malformed" })).text);
      assert.equal(events.length, 10 + 2);
      assert.equal(events.at(-1), "[DONE]");
      const invalid = events.slice(0, 10).filter((event) => {
        try {
          JSON.parse(event);
          return false;
        } catch {
          return true;
        }
      });
      assert.equal(invalid.length, 1);
    });

    test("x-tokenstorm-fail: disconnect destroys the socket mid-stream", async () => {
      const stream = await openStream(emulator(), chatBody(), { "x-tokenstorm-fail": "disconnect" });
      const { text, error } = await stream.rest();
      assert.ok(error, "the body must fail, not end");
      assert.equal(sseData(text).length, 5);
      assert.ok(!text.includes("[DONE]"));
      assert.ok(emulator().stats().disconnects >= 1);
    });

    test("x-tokenstorm-fail: stall sends headers and one token, then nothing until the client leaves", async () => {
      const before = emulator().stats();
      const stream = await openStream(emulator(), chatBody(), { "x-tokenstorm-fail": "stall" });
      assert.equal(sseData(stream.firstText).length, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(emulator().stats().tokensSent, before.tokensSent + 1);
      assert.equal(emulator().stats().active, 1);
      stream.abort();
      await waitFor(() => emulator().stats().active === 0);
    });

    test("per-request ttft and itl headers override the configured timing", async () => {
      const startedAt = performance.now();
      await call(emulator(), "/v1/chat/completions", chatBody({ max_tokens: 3 }), {
        "x-tokenstorm-ttft-ms": "60",
        "x-tokenstorm-itl-ms": "20",
      });
      assert.ok(performance.now() - startedAt >= 100);
    });
  });

  withEmulator({ ttftMs: 1, itlMs: 1, length: 20, disconnectRate: 1 }, (emulator) => {
    test("disconnectRate cuts streams at a random token", async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { text, error } = await (await openStream(emulator(), chatBody())).rest();
        assert.ok(error);
        const tokens = sseData(text).length;
        assert.ok(tokens >= 1 && tokens < 20, `${tokens} tokens before the cut`);
      }
    });
  });
});

test("close() ends open streams and resolves quickly", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 1, itlMs: 10, length: 1000 });
  const streams = await Promise.all([openStream(emulator, chatBody()), openStream(emulator, chatBody())]);
  const startedAt = performance.now();
  await emulator.close();
  assert.ok(performance.now() - startedAt < 500, "close() took too long");
  for (const stream of streams) {
    const { text, error } = await stream.rest();
    assert.ok(error, "an open stream must be cut");
    assert.ok(!text.includes("[DONE]"));
  }
  await emulator.close();
});

test("emulate flags: every value is checked and named in the message", () => {
  assert.deepEqual(
    emulateOptionsFromFlags({ port: "0", itlMs: "2.5", errorStatus: "500,503", text: "counter", extraDelayMs: "1", ndjson: true }),
    { port: 0, itlMs: 2.5, errorStatuses: [500, 503], text: "counter", extraDelayPerTokenMs: 1, ndjsonCompletions: true },
  );
  assert.throws(() => emulateOptionsFromFlags({ itlMs: "x" }), { message: '--itl-ms must be a number >= 0 (got "x")' });
  assert.throws(() => emulateOptionsFromFlags({ port: "70000" }), /--port must be an integer from 0 to 65535/);
  assert.throws(() => emulateOptionsFromFlags({ jitter: "1.5" }), /--jitter must be a number from 0 to 1/);
  assert.throws(() => emulateOptionsFromFlags({ length: "0" }), /--length must be an integer >= 1/);
  assert.throws(() => emulateOptionsFromFlags({ maxRunning: "-1" }), /--max-running must be an integer >= 0/);
  assert.throws(() => emulateOptionsFromFlags({ errorStatus: "500,abc" }), /--error-status/);
  assert.throws(() => emulateOptionsFromFlags({ text: "poetry" }), /--text must be one of lorem, echo, counter/);
  assert.throws(() => emulateOptionsFromFlags({ host: " " }), /--host must not be empty/);
  // Every bad flag is named at once, not just the first.
  assert.throws(() => emulateOptionsFromFlags({ itlMs: "x", jitter: "2", text: "poetry" }), {
    message: '--itl-ms must be a number >= 0 (got "x"); --jitter must be a number from 0 to 1 (got "2"); --text must be one of lorem, echo, counter (got "poetry")',
  });
});

test("startEmulator rejects invalid options", async () => {
  await assert.rejects(startEmulator({ port: 0, itlMs: -1 }), /itlMs must be a number >= 0/);
  await assert.rejects(startEmulator({ port: 0, errorRate: 0.7, truncateRate: 0.7 }), /at most 1/);
  await assert.rejects(startEmulator({ port: 0, errorStatuses: [200] }), /errorStatuses/);
});

test("POST /stats/reset zeroes the counters and the lateness histogram", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 1, itlMs: 1, length: 5 });
  try {
    await call(emulator, "/v1/chat/completions", chatBody({ max_tokens: 5 }));
    assert.equal(emulator.stats().tokensSent, 5);
    const reply = await call(emulator, "/stats/reset", {});
    assert.equal(reply.status, 200);
    const stats = JSON.parse(reply.text);
    assert.equal(stats.tokensSent, 0);
    assert.equal(stats.requests, 0);
    assert.equal(stats.lateness.count, 0);
  } finally {
    await emulator.close();
  }
});

describe("emulator text modes", () => {
  const pieces = (source: (index: number) => string, count: number): string[] => Array.from({ length: count }, (_, i) => source(i));

  test("lorem, counter and echo, with and without the leading space real tokenizers give", () => {
    assert.deepEqual(pieces(pieceSource("lorem", [], true), 3), ["lorem", " ipsum", " dolor"]);
    assert.deepEqual(pieces(pieceSource("lorem", ["ignored"], false), 3), ["lorem", "ipsum", "dolor"]);
    assert.deepEqual(pieces(pieceSource("counter", [], true), 3), ["token_0", " token_1", " token_2"]);
    assert.deepEqual(pieces(pieceSource("counter", [], false), 2), ["token_0", "token_1"]);
    // Echo cycles through the prompt's words.
    assert.deepEqual(pieces(pieceSource("echo", ["say", "it"], true), 5), ["say", " it", " say", " it", " say"]);
    assert.deepEqual(pieces(pieceSource("echo", ["say", "it"], false), 3), ["say", "it", "say"]);
  });

  test("echo of an empty prompt streams lorem rather than nothing", () => {
    assert.deepEqual(pieces(pieceSource("echo", [], true), 3), pieces(pieceSource("lorem", [], true), 3));
    assert.deepEqual(pieces(pieceSource("echo", [], false), 3), ["lorem", "ipsum", "dolor"]);
  });

  test("lorem wraps around its word list", () => {
    const source = pieceSource("lorem", [], true);
    const words = pieces(source, 200);
    const period = words.indexOf(" lorem", 1);
    assert.ok(period > 0);
    assert.equal(words[period + 1], " ipsum");
  });
});
