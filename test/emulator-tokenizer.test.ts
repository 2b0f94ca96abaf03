// emulate --tokenizer (issue 18, item 1: prompt tokens counted with the generator's --tokenizer):
// usage, the prefix cache's blocks, /metrics and Anthropic's message_start count the tokenizer's
// tokens; embeddings keep their own count; `run --tokenizer` on the embedded emulator reads the
// same prompt tokens on both sides (each text as sent, line breaks and all, and each message on its
// own); a bad --tokenizer is one line naming the flag.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { emulatorForSuite } from "./helpers/emulator.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { loadTokenizer } from "../src/workload/tokenizer.js";
import type { RunningEmulator } from "../src/emulator/index.js";
import type { Report } from "../src/report/types.js";

const FIXTURE = fileURLToPath(new URL("../../test/fixtures/tokenizer/tokenizer.json", import.meta.url));
const BLOCK = 16;

/** A prompt of words the o200k encoding splits into more tokens than words. */
function promptText(tag: string, words: number): string {
  return Array.from({ length: words }, (_, i) => `${tag}unbelievably${i}`).join(" ");
}

async function chatUsage(emulator: RunningEmulator, messages: Array<{ role: string; content: string }>): Promise<{ prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } }> {
  const response = await fetch(`${emulator.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages, max_tokens: 2 }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage;
}

async function metric(emulator: RunningEmulator, name: string): Promise<number> {
  const text = await (await fetch(`${emulator.url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name} `) || row.startsWith(`${name}{`));
  assert.ok(line, `${name} on /metrics`);
  return Number(line.split(" ").at(-1));
}

describe("emulate --tokenizer o200k_base", () => {
  const emulator = emulatorForSuite({ ttftMs: 0, itlMs: 0, tokenizer: "o200k_base", prefixCacheTokens: 10_000, blockSize: BLOCK, warmUp: false });
  const o200k = loadTokenizer("o200k_base");

  it("usage.prompt_tokens is the tokenizer's count of the prompt, not its words; /metrics agrees", async () => {
    const text = promptText("a", 20);
    const expected = o200k.count(text);
    assert.ok(expected > 20, `the test prompt must have more tokens than words (${expected})`);
    const usage = await chatUsage(emulator(), [{ role: "user", content: text }]);
    assert.equal(usage.prompt_tokens, expected);
    assert.equal(await metric(emulator(), "vllm:prompt_tokens_total"), expected);
  });

  it("line breaks and indentation count as the tokenizer counts them, not as words joined by spaces", async () => {
    const text = "def scale(x):\n    return x  *  2\n\n\nfor i in range(3):\n\tprint(scale(i))\n";
    const expected = o200k.count(text);
    assert.notEqual(expected, o200k.count(text.split(/\s+/).filter(Boolean).join(" ")), "the test prompt must tokenise differently once its whitespace is folded");
    assert.equal((await chatUsage(emulator(), [{ role: "user", content: text }])).prompt_tokens, expected);
  });

  it("each message's content is counted on its own, as the generator counts what it sent", async () => {
    const messages = [
      { role: "system", content: "You answer in one line." },
      { role: "user", content: "Why is the sky blue?\n" },
      { role: "assistant", content: "Rayleigh scattering." },
      { role: "user", content: "\nAnd sunsets?" },
    ];
    const expected = messages.reduce((sum, message) => sum + o200k.count(message.content), 0);
    assert.equal((await chatUsage(emulator(), messages)).prompt_tokens, expected);
  });

  it("the prefix cache's blocks are of tokenizer tokens: a repeated prompt hits its whole blocks", async () => {
    const text = promptText("b", 30);
    const tokens = o200k.count(text);
    assert.equal((await chatUsage(emulator(), [{ role: "user", content: text }])).prompt_tokens_details?.cached_tokens, 0);
    const again = await chatUsage(emulator(), [{ role: "user", content: text }]);
    assert.equal(again.prompt_tokens, tokens);
    assert.equal(again.prompt_tokens_details?.cached_tokens, Math.floor(tokens / BLOCK) * BLOCK);
  });

  it("Anthropic's message_start carries the tokenizer's count, as the final usage does", async () => {
    const text = promptText("c", 12);
    const response = await fetch(`${emulator().url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", max_tokens: 3, stream: true, messages: [{ role: "user", content: text }] }),
    });
    const body = await response.text();
    const start = body.split("\n").find((line) => line.startsWith("data: ") && line.includes('"message_start"'));
    assert.ok(start);
    assert.equal((JSON.parse(start.slice("data: ".length)) as { message: { usage: { input_tokens: number } } }).message.usage.input_tokens, o200k.count(text));
  });

  it("embeddings keep the count their inputs give", async () => {
    const response = await fetch(`${emulator().url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: ["one two three"] }),
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens, 3);
  });
});

describe("emulate --tokenizer with a tokenizer.json", () => {
  const emulator = emulatorForSuite({ ttftMs: 0, itlMs: 0, tokenizer: FIXTURE, warmUp: false });

  it("counts with the file's model", async () => {
    const text = "the quick brown fox jumps over the lazy dog";
    assert.equal((await chatUsage(emulator(), [{ role: "user", content: text }])).prompt_tokens, loadTokenizer(FIXTURE).count(text));
  });
});

describe("run --tokenizer on the embedded emulator", () => {
  /** `run --tokenizer o200k_base <args>` on 2 clients: the report's request count and each raw record's prompt tokens (the server's usage). */
  async function serverPromptTokens(args: string[]): Promise<{ requests: number; promptTokens: Array<number | null> }> {
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--tokenizer", "o200k_base", ...args, "--ttft", "0", "--delay", "0", "--clients", "2", "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    const lines = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n");
    return { requests: report.summary.requests, promptTokens: lines.map((line) => (JSON.parse(line) as { prompt_tokens: number | null }).prompt_tokens) };
  }

  it("--input-tokens 200: the server's prompt tokens are the 200 the run built, request by request", async () => {
    const { requests, promptTokens } = await serverPromptTokens(["--input-tokens", "200", "--output-tokens", "5", "--cycles", "3"]);
    assert.equal(requests, 6);
    assert.deepEqual(promptTokens, Array(6).fill(200));
  });

  it("--prefix-tokens 40 --input-tokens 100: the server counts the 140 the run built (a system and a user message)", async () => {
    const { requests, promptTokens } = await serverPromptTokens(["--prefix-tokens", "40", "--input-tokens", "100", "--output-tokens", "3", "--cycles", "4"]);
    assert.equal(requests, 8);
    assert.deepEqual(promptTokens, Array(8).fill(140));
  });
});

describe("emulate --tokenizer: bad values", () => {
  it("an unknown encoding is one line naming the flag, exit 2", async () => {
    const result = await runCli(["emulate", "--tokenizer", "p50k_nope", "--port", "0"]);
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /--tokenizer: "p50k_nope" is neither a known encoding/);
  });
});
