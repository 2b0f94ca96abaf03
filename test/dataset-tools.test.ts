// Tools from the dataset (issue 17, item 6): a JSONL line's `tools` (OpenAI's chat shape) are offered
// by the request built from it, in each API's own shape (chat and Ollama chat as given, Responses
// flat, Messages with input_schema), on every turn of a conversation; the emulator, answering every
// offer with a tool call, makes one per such request and none for lines without tools; a bad
// `tools` is one line naming file:line.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Report, RequestRecord } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { recordingProxyForSuite } from "./helpers/recording-proxy.js";

const WEATHER = {
  type: "function",
  function: { name: "get_weather", description: "the weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};
const LINES = [
  { prompt: "what is the weather in Oslo", tools: [WEATHER], type: "tools" },
  { prompt: "tell me a story", type: "plain" },
];

/** What each API's body carries for WEATHER. */
const SHAPES: Record<string, unknown> = {
  "openai-chat": [WEATHER],
  "ollama-chat": [WEATHER],
  "openai-responses": [{ type: "function", name: "get_weather", description: "the weather in a city", parameters: WEATHER.function.parameters }],
  "anthropic-messages": [{ name: "get_weather", description: "the weather in a city", input_schema: WEATHER.function.parameters }],
};

function datasetFile(dir: string, lines: object[]): string {
  const path = join(dir, "tools.jsonl");
  writeFileSync(path, lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
  return path;
}

describe("run --dataset with tools", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 0, length: 4, toolCallRate: 1, warmUp: false });
  const proxy = recordingProxyForSuite(() => emulator().url);

  for (const protocol of Object.keys(SHAPES)) {
    it(`${protocol}: lines with tools offer them in the API's shape; only those get tool calls`, async () => {
      const cwd = tempDir();
      const dataset = datasetFile(cwd, LINES);
      const from = proxy.exchanges.length;
      const result = await runCli(
        ["run", "--target", proxy.url(), "--protocol", protocol, "--dataset", dataset, "--clients", "2", "--cycles", "2", "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet"],
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      const sent = proxy.exchanges.slice(from);
      assert.equal(sent.length, 4);
      const offering = sent.filter((exchange) => exchange.body["tools"] !== undefined);
      assert.equal(offering.length, 2, "the tools line, twice");
      for (const exchange of offering) assert.deepEqual(exchange.body["tools"], SHAPES[protocol]);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      assert.equal(report.summary.failed, 0);
      if (protocol === "ollama-chat") return; // The emulator's Ollama routes answer with content only.
      const records = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as RequestRecord);
      for (const record of records) assert.equal(record.tool_call_count, record.type === "tools" ? 1 : 0, `${record.type}: tool calls`);
      assert.equal(report.summary.tool_calls_total, 2);
    });
  }

  it("every turn of a conversation offers the tools it began with", async () => {
    const cwd = tempDir();
    const dataset = datasetFile(cwd, [LINES[0]!]);
    const from = proxy.exchanges.length;
    const result = await runCli(
      ["run", "--target", proxy.url(), "--protocol", "openai-chat", "--dataset", dataset, "--turns", "3", "--clients", "1", "--cycles", "1", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const sent = proxy.exchanges.slice(from);
    assert.equal(sent.length, 3);
    for (const exchange of sent) assert.deepEqual(exchange.body["tools"], [WEATHER]);
  });
});

describe("run --dataset: bad tools", () => {
  it("each bad tools entry is one line naming file:line, exit 2", async () => {
    const cwd = tempDir();
    const dataset = datasetFile(cwd, [
      { prompt: "a", tools: [] },
      { prompt: "b", tools: [{ type: "function", function: {} }] },
      { prompt: "c", tools: [{ type: "retrieval" }] },
      { prompt: "d", tools: [{ type: "function", function: { name: "f", parameters: [] } }] },
    ]);
    const result = await runCli(["run", "--dataset", dataset, "--requests", "1", "--no-save", "--quiet"], { cwd });
    assert.equal(result.code, 2);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assert.match(result.stderr, /tools\.jsonl:1: "tools" must be a non-empty array/);
    assert.match(result.stderr, /tools\.jsonl:2: tools\[0\]: "function\.name" must be a non-empty string/);
    assert.match(result.stderr, /tools\.jsonl:3: tools\[0\]: "type" must be "function"/);
    assert.match(result.stderr, /tools\.jsonl:4: tools\[0\]: "function\.parameters" must be a JSON schema object/);
  });
});
