// Token-exact workloads (issue 17, items 1 and 2): --tokenizer, --input-tokens / --output-tokens with
// --random-range-ratio and --ignore-eos. Prompts tokenise to exactly the drawn length with each
// bundled encoding and a tokenizer.json written for these tests; the emulator and the official
// openai SDK see what a run sends; output tokens are counted by the tokenizer when usage is off.
// The fixture test/fixtures/tokenizer/tokenizer.json is a WordPiece model of ~240 pieces (the word pool,
// letters and `##` continuations) behind a lowercasing normalizer and a whitespace pre-tokenizer, so
// words outside its vocabulary split into several pieces and a cut can fall inside a word.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import OpenAI from "openai";
import { loadTestConfig } from "../src/api.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { wordsOf } from "../src/emulator/text.js";
import { chatProtocol } from "../src/protocols/openai/client.js";
import type { Report } from "../src/report/types.js";
import { requestSource } from "../src/workload/request-source.js";
import { tokenizedPrefixText } from "../src/workload/shared-prefix.js";
import { drawLength, syntheticRequest } from "../src/workload/synthetic.js";
import { loadTokenizer, WordTokenizer } from "../src/workload/tokenizer.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

const FIXTURE = fileURLToPath(new URL("../../test/fixtures/tokenizer/tokenizer.json", import.meta.url));
const TOKENIZERS = ["o200k_base", "cl100k_base", FIXTURE];

function problemsOf(flags: Record<string, unknown>): string {
  try {
    resolveRunConfig(flags, {});
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

describe("synthetic prompts of an exact token length", () => {
  for (const name of TOKENIZERS) {
    it(`1,000 draws tokenise to exactly their drawn length with ${name === FIXTURE ? "the tokenizer.json fixture" : name}`, () => {
      const tokenizer = loadTokenizer(name);
      // Lengths from 1 to 400: short prompts, where a merge at the cut matters most, and long ones.
      const lengths = { inputTokens: 200, outputTokens: 50, rangeRatio: 0.995, ignoreEos: false };
      const seen = new Set<number>();
      for (let i = 0; i < 1000; i++) {
        const drawn = syntheticRequest(lengths, tokenizer, i % 37, Math.floor(i / 37), 11);
        assert.equal(tokenizer.encode(drawn.prompt!).length, drawn.promptTokens, `draw ${i}: ${JSON.stringify(drawn.prompt)}`);
        assert.ok(drawn.maxTokens! >= 1 && drawn.maxTokens! <= 100);
        seen.add(drawn.promptTokens!);
      }
      assert.ok(seen.size > 200, `only ${seen.size} distinct lengths`);
    });
  }

  it("without a tokenizer a prompt of N tokens is N words, as the emulator counts them", () => {
    const lengths = { inputTokens: 1000, outputTokens: 200, rangeRatio: 0.5, ignoreEos: false };
    for (let i = 0; i < 200; i++) {
      const drawn = syntheticRequest(lengths, new WordTokenizer(), i, 0, 3);
      assert.equal(wordsOf(drawn.prompt!).length, drawn.promptTokens);
    }
  });

  it("--random-range-ratio draws uniformly within [N(1-r), N(1+r)], never below 1; 0 is exactly N", () => {
    let random = 0;
    const next = (): number => (random = (random + 0.137) % 1);
    const draws = Array.from({ length: 500 }, () => drawLength(100, 0.2, next));
    assert.equal(Math.min(...draws), 80);
    assert.equal(Math.max(...draws), 120);
    assert.ok(Array.from({ length: 500 }, () => drawLength(2, 0.9, next)).every((n) => n >= 1 && n <= 4));
    assert.equal(drawLength(77, 0, next), 77);
  });

  it("a seed fixes every draw, whatever order the requests are asked in (as segments of a run ask them)", () => {
    const config = loadTestConfig({ tokenizer: "cl100k_base", synthetic: { inputTokens: 64, outputTokens: 32, rangeRatio: 0.5 }, seed: 9 });
    const pairs = Array.from({ length: 30 }, (_, i) => [i % 6, Math.floor(i / 6)] as const);
    const one = requestSource(config);
    const inOrder = pairs.map(([client, cycle]) => one.next(client, cycle));
    const other = requestSource(config);
    const reversed = [...pairs].reverse().map(([client, cycle]) => other.next(client, cycle)).reverse();
    assert.deepEqual(reversed, inOrder);
    assert.equal(new Set(inOrder.map((spec) => spec.prompt)).size, 30, "each request its own prompt");
    const reseeded = requestSource(loadTestConfig({ tokenizer: "cl100k_base", synthetic: { inputTokens: 64, outputTokens: 32, rangeRatio: 0.5 }, seed: 10 }));
    assert.notEqual(reseeded.next(0, 0).prompt, inOrder[0]!.prompt);
  });

  it("with a tokenizer each shared prefix is exactly --prefix-tokens of it; the synthetic suffix follows as the user message", () => {
    for (const name of TOKENIZERS) {
      const tokenizer = loadTokenizer(name);
      for (const tokens of [1, 7, 300]) {
        for (let group = 0; group < 3; group++) assert.equal(tokenizer.encode(tokenizedPrefixText(group, tokens, tokenizer)).length, tokens);
      }
    }
    const config = loadTestConfig({ tokenizer: "o200k_base", sharedPrefix: { tokens: 100, groups: 2 }, synthetic: { inputTokens: 50 }, seed: 1 });
    const spec = requestSource(config).next(3, 4);
    const o200k = loadTokenizer("o200k_base");
    assert.equal(spec.messages!.length, 2);
    assert.equal(o200k.encode(spec.messages![0]!.content).length, 100);
    assert.equal(o200k.encode(spec.messages![1]!.content).length, 50);
    // The prompts block counts what the protocol sends: the two messages for chat, the joined prompt otherwise.
    const chat = requestSource(config);
    chat.next(3, 4);
    assert.equal(chat.stats.block().tokens!.max, 150);
    const completions = requestSource(loadTestConfig({ protocol: "openai-completions", tokenizer: "o200k_base", sharedPrefix: { tokens: 100, groups: 2 }, synthetic: { inputTokens: 50 }, seed: 1 }));
    completions.next(3, 4);
    assert.equal(completions.stats.block().tokens!.max, o200k.count(spec.prompt));
  });

  it("--ignore-eos puts min_tokens = max_tokens and ignore_eos into OpenAI bodies; without it neither is sent", () => {
    const options = { model: "m", includeUsage: true } as Parameters<typeof chatProtocol.body>[1];
    const withEos = requestSource(loadTestConfig({ synthetic: { inputTokens: 5, outputTokens: 40, ignoreEos: true } })).next(0, 0);
    const body = chatProtocol.body(withEos, options) as Record<string, unknown>;
    assert.equal(body.max_tokens, 40);
    assert.equal(body.min_tokens, 40);
    assert.equal(body.ignore_eos, true);
    const plain = chatProtocol.body(requestSource(loadTestConfig({ synthetic: { outputTokens: 40 } })).next(0, 0), options) as Record<string, unknown>;
    assert.equal(plain.max_tokens, 40);
    assert.ok(!("min_tokens" in plain) && !("ignore_eos" in plain));
  });

  it("bad values are reported together, each naming its flag", () => {
    const message = problemsOf({ tokenizer: "p50k_nope", inputTokens: "0", randomRangeRatio: "1.5", outputTokens: "x" });
    assert.match(message, /--tokenizer: "p50k_nope" is neither a known encoding \(o200k_base, cl100k_base\)/);
    assert.match(message, /--input-tokens must be a positive integer/);
    assert.match(message, /--output-tokens must be a positive integer/);
    assert.match(message, /--random-range-ratio must be a number >= 0 and below 1/);
    assert.match(problemsOf({ ignoreEos: true }), /--ignore-eos needs --output-tokens/);
    assert.match(problemsOf({ outputTokens: "5", length: "9" }), /--output-tokens and --length both set max_tokens/);
    assert.match(problemsOf({ ignoreEos: true, outputTokens: "5", protocol: "ollama-chat" }), /--ignore-eos sends vLLM's min_tokens and ignore_eos fields, which only --protocol openai-chat and openai-completions carry/);
    assert.equal(problemsOf({ ignoreEos: true, outputTokens: "5", protocol: "openai-completions" }), "");
    assert.match(problemsOf({ randomRangeRatio: "0.1" }), /--random-range-ratio needs --input-tokens or --output-tokens/);
    assert.match(problemsOf({ inputTokens: "10", protocol: "realtime" }), /do not apply to --protocol realtime/);
    assert.match(problemsOf({ tokenizer: join(tempDir(), "missing.json") }), /--tokenizer: .* nor an existing tokenizer.json file/);
  });

  it("a bad --tokenizer on the command line: one line naming the flag, exit 2, no stack trace", async () => {
    const dir = tempDir();
    const notJson = join(dir, "tokenizer.json");
    (await import("node:fs")).writeFileSync(notJson, "{ not json");
    for (const value of ["gpt-nope", notJson]) {
      const result = await runCli(["run", "--tokenizer", value, "--no-save", "--quiet"], { cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /--tokenizer/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
  });
});

describe("synthetic requests against the emulator", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 0, warmUp: false });

  async function emulatorStats(): Promise<{ requests: number; promptTokens: number }> {
    return (await (await fetch(`${emulator().url}/stats`)).json()) as { requests: number; promptTokens: number };
  }

  it("--input-tokens 1000 --output-tokens 200: prompt tokens equal the emulator's count, 200 output tokens each", async () => {
    const before = await emulatorStats();
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", emulator().url, "--input-tokens", "1000", "--output-tokens", "200", "--clients", "3", "--cycles", "4", "--seed", "5", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    const after = await emulatorStats();
    assert.equal(report.summary.requests, 12);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.summary.tokens_total, 12 * 200);
    assert.equal(report.summary.tokens_source, "usage");
    assert.equal(after.promptTokens - before.promptTokens, 12 * 1000);
    const tokens = report.prompts!.tokens!;
    assert.deepEqual([tokens.count, tokens.min, tokens.max], [12, 1000, 1000]);
    assert.equal(report.prompts!.tokens_counted_by, "usage");
  });

  it("the official openai SDK, fed the same generated requests (with --ignore-eos' fields), is accepted by the emulator", async () => {
    const client = new OpenAI({ baseURL: `${emulator().url}/v1`, apiKey: "unused", maxRetries: 0 });
    const config = loadTestConfig({ synthetic: { inputTokens: 1000, outputTokens: 200, rangeRatio: 0.25, ignoreEos: true }, seed: 8 });
    const source = requestSource(config);
    for (let cycle = 0; cycle < 5; cycle++) {
      const spec = source.next(0, cycle);
      const body = chatProtocol.body(spec, { model: "tokenstorm-emulator", includeUsage: true } as Parameters<typeof chatProtocol.body>[1]);
      const stream = await client.chat.completions.create({ ...(body as object), stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
      let text = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(usage?.prompt_tokens, wordsOf(spec.prompt).length);
      assert.equal(usage?.completion_tokens, spec.maxTokens);
      assert.equal(wordsOf(text).length, spec.maxTokens);
    }
  });

  it("the segments of a distributed run draw the lengths one process draws, request by request", async () => {
    const cwd = tempDir();
    const common = ["--target", emulator().url, "--input-tokens", "40", "--output-tokens", "12", "--random-range-ratio", "0.5", "--clients", "4", "--cycles", "3", "--seed", "4", "--no-save", "--quiet"];
    type Line = { client: number; cycle: number; prompt_tokens: number; tokens: number };
    const drawn = async (extra: string[], raw: string): Promise<Map<string, string>> => {
      const result = await runCli(["run", ...common, ...extra, "--raw", raw], { cwd });
      assert.equal(result.code, 0, result.stderr);
      const lines = readFileSync(join(cwd, raw), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Line);
      return new Map(lines.map((l) => [`${l.client}/${l.cycle}`, `${l.prompt_tokens} in, ${l.tokens} out`]));
    };
    const whole = await drawn([], "whole.ndjson");
    const first = await drawn(["--segment", "1/2"], "s1.ndjson");
    const second = await drawn(["--segment", "2/2"], "s2.ndjson");
    assert.equal(whole.size, 12);
    assert.deepEqual(new Map([...first, ...second].sort()), new Map([...whole].sort()));
    assert.ok(new Set(whole.values()).size > 3, "lengths are spread");
  });

  it("--tokenizer o200k_base: prompt tokens counted on what was sent, output tokens from the text when usage is off", async () => {
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", emulator().url, "--tokenizer", "o200k_base", "--input-tokens", "300", "--output-tokens", "40", "--no-usage", "--clients", "2", "--cycles", "3", "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.tokens_source, "tokenizer");
    assert.equal(report.prompts!.tokens_counted_by, "o200k_base");
    const tokens = report.prompts!.tokens!;
    assert.deepEqual([tokens.count, tokens.min, tokens.max], [6, 300, 300]);
    const records = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { tokens: number; chunks: number; tokens_source: string });
    assert.equal(records.length, 6);
    for (const record of records) {
      assert.equal(record.tokens_source, "tokenizer");
      // The emulator streams 40 lorem words; o200k_base splits some of them, so more tokens than chunks.
      assert.equal(record.chunks, 40);
      assert.ok(record.tokens > record.chunks, `${record.tokens} tokens`);
    }
    assert.equal(report.summary.tokens_total, records.reduce((sum, r) => sum + r.tokens, 0));
  });
  it("--protocol ndjson and openai-responses keep the text for the tokenizer too: ndjson streams carry no usage", async () => {
    for (const [protocol, expected] of [["ndjson", "tokenizer"], ["openai-responses", "usage"]] as const) {
      const cwd = tempDir();
      const result = await runCli(
        ["run", "--target", emulator().url, "--protocol", protocol, "--tokenizer", "cl100k_base", "--output-tokens", "25", "--clients", "2", "--cycles", "2", "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet"],
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      assert.equal(report.summary.failed, 0);
      assert.equal(report.summary.tokens_source, expected, protocol);
      const records = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { tokens: number; chunks: number });
      for (const record of records) {
        assert.equal(record.chunks, 25);
        if (expected === "tokenizer") assert.ok(record.tokens >= 25, `${protocol}: ${record.tokens} tokens`);
      }
    }
  });
});
