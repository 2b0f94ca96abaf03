// The openai-embeddings protocol end to end: the official openai SDK reads the emulator's
// /v1/embeddings answers (base64, its default, and float) as unit vectors of the asked dimensions,
// the same for the same input; the driver checks answers against its batch; `tokenstorm run
// --protocol openai-embeddings` reports the inputs embedded as its tokens; its flags are checked.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions } from "./helpers/driver-harness.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { Collector } from "../src/metrics/collector.js";
import { openAiEmbeddings } from "../src/protocols/openai/embeddings-client.js";
import type { EmbeddingsOptions } from "../src/protocols/openai/embeddings-options.js";
import type { RequestRecord } from "../src/report/types.js";

function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe("the emulator's /v1/embeddings read by the official openai SDK", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1, length: 9, seed: 4 });
  const client = (): OpenAI => new OpenAI({ baseURL: `${emulator().url}/v1`, apiKey: "test-key", maxRetries: 0 });

  test("a batch: one unit vector per input, in order, of the asked dimensions; usage counts the inputs' words", async () => {
    const answer = await client().embeddings.create({ model: "test-model", input: ["alpha beta", "gamma", "alpha beta"], dimensions: 24 });
    assert.equal(answer.object, "list");
    assert.deepEqual(
      answer.data.map((d) => d.index),
      [0, 1, 2],
    );
    for (const item of answer.data) {
      assert.equal(item.embedding.length, 24);
      assert.ok(Math.abs(norm(item.embedding) - 1) < 1e-5, `norm ${norm(item.embedding)}`);
    }
    assert.deepEqual(answer.data[0]!.embedding, answer.data[2]!.embedding, "the same input, the same vector");
    assert.notDeepEqual(answer.data[0]!.embedding, answer.data[1]!.embedding);
    assert.equal(answer.usage.prompt_tokens, 2 + 1 + 2);
    assert.equal(answer.usage.total_tokens, 2 + 1 + 2);
  });

  test("float and base64 encodings carry the same vector; the default length is 16; requests repeat", async () => {
    const asFloats = await client().embeddings.create({ model: "m", input: "one two three", encoding_format: "float" });
    const asBase64 = await client().embeddings.create({ model: "m", input: "one two three" });
    const floats = asFloats.data[0]!.embedding;
    assert.equal(floats.length, 16);
    asBase64.data[0]!.embedding.forEach((value, i) => assert.ok(Math.abs(value - floats[i]!) < 1e-6, `dimension ${i}`));
    const again = await client().embeddings.create({ model: "m", input: "one two three", encoding_format: "float" });
    assert.deepEqual(again.data[0]!.embedding, floats);
  });

  test("bad bodies are 400 with a message; an injected status reaches the SDK", async () => {
    const bodies = [{}, { input: [] }, { input: "" }, { input: [1.5] }, { input: "x", dimensions: 0 }, { input: "x", dimensions: 100_000 }, { input: "x", encoding_format: "hex" }, { input: new Array(2048).fill("x"), dimensions: 8192 }];
    for (const body of bodies) {
      const res = await fetch(`${emulator().url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(((await res.json()) as { error: { message: string } }).error.message.length > 0);
    }
    await assert.rejects(
      client().embeddings.create({ model: "m", input: "x" }, { headers: { "x-tokenstorm-fail": "429" } }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 429,
    );
  });
});

/** One request through the driver with these settings against `url`. */
async function embedOnce(url: string, settings: EmbeddingsOptions): Promise<RequestRecord> {
  const collector = new Collector();
  const driver = openAiEmbeddings.create(driverOptions(url), settings);
  try {
    const trace = collector.begin("test", 0, 0);
    await driver.execute({ type: "test", prompt: "hello there world", maxTokens: null }, trace);
    return collector.finish(trace);
  } finally {
    await driver.close();
  }
}

describe("the openai-embeddings driver", () => {
  const emulator = emulatorForSuite({ ttftMs: 3, itlMs: 1, length: 9, seed: 6 });

  test("a batch of 5 against the emulator: one chunk, 5 inputs as tokens", async () => {
    const record = await embedOnce(emulator().url, { batchSize: 5, dimensions: 12 });
    assert.equal(record.ok, true, record.error ?? "");
    assert.equal(record.chunks, 1);
    assert.equal(record.tokens, 5);
    assert.equal(record.tokens_lost, 0);
    assert.ok(record.e2e_ms! >= record.ttft_ms!);
  });

  test("an answer that does not match the batch is malformed", async () => {
    const vector = [0.6, 0.8];
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        const data = [{ object: "embedding", index: 0, embedding: vector }, { object: "embedding", index: 1, embedding: vector }];
        res.end(JSON.stringify({ object: "list", data, model: "m", usage: { prompt_tokens: 3, total_tokens: 3 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal((await embedOnce(url, { batchSize: 2, dimensions: 2 })).ok, true);
      const fewer = await embedOnce(url, { batchSize: 3, dimensions: null });
      assert.equal(fewer.error_class, "malformed");
      assert.match(fewer.error ?? "", /2 vectors for 3 inputs/);
      const shorter = await embedOnce(url, { batchSize: 2, dimensions: 8 });
      assert.equal(shorter.error_class, "malformed");
      assert.match(shorter.error ?? "", /2 dimensions, 8 were asked for/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

test("tokenstorm run --protocol openai-embeddings --batch-size 4: inputs embedded are the tokens", async () => {
  const cwd = tempDir();
  const args = ["run", "--protocol", "openai-embeddings", "--batch-size", "4", "--dimensions", "32", "--clients", "2", "--cycles", "3", "--delay", "0.001"];
  const result = await runCli([...args, "--out", "r.json", "--no-save", "--quiet"], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8"));
  assert.equal(report.summary.requests, 6);
  assert.equal(report.summary.successful, 6);
  assert.equal(report.summary.tokens_total, 6 * 4);
  assert.equal(report.summary.tokens_lost, 0);
  assert.equal(report.latency.e2e.count, 6);
  assert.equal(report.latency.itl?.count ?? 0, 0, "one chunk per answer: no inter-token gaps");
  assert.equal(report.config.embeddings.batchSize, 4);
});

test("embeddings flags: other protocols refuse them, bad values are usage errors", async () => {
  for (const [args, message] of [
    [["--batch-size", "4"], /--batch-size applies to --protocol openai-embeddings only/],
    [["--protocol", "openai-embeddings", "--batch-size", "0"], /--batch-size must be a positive integer/],
    [["--protocol", "openai-embeddings", "--dimensions", "99999"], /--dimensions: at most 8192/],
  ] as const) {
    const result = await runCli(["run", ...args, "--quiet", "--no-save"], { timeoutMs: 20_000 });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});
