// Prompt datasets (--dataset): JSONL and CSV parsing, every bad line reported as file:line, and runs
// where the dataset's max_tokens and type reach the wire and the report, with prompt length statistics.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { emulatorForSuite } from "./helpers/emulator.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { Problems } from "../src/config/values.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { renderConsoleReport } from "../src/report/console.js";
import { loadDataset, type PromptDataset } from "../src/workload/dataset.js";
import { parseCsv } from "../src/workload/csv.js";

const dir = tempDir();

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(path: string): { dataset: PromptDataset | null; problems: string[] } {
  const problems = new Problems();
  return { dataset: loadDataset(path, problems), problems: problems.lines };
}

const MESSAGES = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Name a prime number." },
];

describe("reading datasets", () => {
  test("JSONL: prompts, OpenAI-style messages, max_tokens and type; blank lines skipped", () => {
    const path = file(
      "good.jsonl",
      [
        JSON.stringify({ prompt: "Say hi.", max_tokens: 3, type: "greeting", id: "extra keys are ignored" }),
        "",
        JSON.stringify({ messages: MESSAGES, max_tokens: 7 }),
        JSON.stringify({ prompt: "No limit here." }),
      ].join("\n"),
    );
    const { dataset, problems } = load(path);
    assert.deepEqual(problems, []);
    assert.deepEqual(dataset!.entries, [
      { prompt: "Say hi.", messages: null, maxTokens: 3, type: "greeting" },
      { prompt: "You are terse.\nName a prime number.", messages: MESSAGES, maxTokens: 7, type: "dataset" },
      { prompt: "No limit here.", messages: null, maxTokens: null, type: "dataset" },
    ]);
    assert.deepEqual(dataset!.toJSON(), { file: path, prompts: 3, types: { greeting: 1, dataset: 2 } });
    assert.deepEqual([1, 2, 3, 4].map(() => dataset!.take().prompt), ["Say hi.", "You are terse.\nName a prime number.", "No limit here.", "Say hi."]);
  });

  test("CSV: quoted commas, doubled quotes and line breaks; BOM, CRLF, extra columns, empty max_tokens", () => {
    const path = file("good.csv", '\uFEFFid,Prompt,max_tokens,type\r\n1,"Hello, world",4,a\r\n2,"He said ""hi""\nthen left",,b\r\n\r\n3,plain,9,\r\n');
    const { dataset, problems } = load(path);
    assert.deepEqual(problems, []);
    assert.deepEqual(dataset!.entries, [
      { prompt: "Hello, world", messages: null, maxTokens: 4, type: "a" },
      { prompt: 'He said "hi"\nthen left', messages: null, maxTokens: null, type: "b" },
      { prompt: "plain", messages: null, maxTokens: 9, type: "dataset" },
    ]);
    // Records carry the line they start on, for messages about them.
    assert.deepEqual(parseCsv('p\n"a\nb"\nc').records.map((r) => r.line), [1, 2, 4]);
  });

  test("every bad JSONL line is reported as file:line: message", () => {
    const path = file(
      "bad.jsonl",
      [
        JSON.stringify({ prompt: "fine" }),
        "{not json",
        JSON.stringify({ text: "no prompt" }),
        JSON.stringify({ prompt: "x", max_tokens: -3 }),
        JSON.stringify({ messages: [{ role: "user" }] }),
        JSON.stringify({ prompt: "", type: 5 }),
        "[1,2]",
      ].join("\n"),
    );
    const { dataset, problems } = load(path);
    assert.equal(dataset, null);
    assert.equal(problems.length, 7);
    assert.match(problems[0]!, new RegExp(`^${path}:2: not valid JSON`));
    assert.equal(problems[1], `${path}:3: needs "prompt" (a string) or "messages" (a list)`);
    assert.equal(problems[2], `${path}:4: max_tokens must be a positive integer (got -3)`);
    assert.equal(problems[3], `${path}:5: messages[0] must have a string "role" and a string "content"`);
    assert.equal(problems[4], `${path}:6: "prompt" must be a non-empty string`);
    assert.equal(problems[5], `${path}:6: type must be a non-empty string (got 5)`);
    assert.equal(problems[6], `${path}:7: expected a JSON object with "prompt" or "messages"`);
  });

  test("bad CSV files: no prompt column, wrong field counts, an unclosed quote", () => {
    assert.deepEqual(load(file("nocol.csv", "text,type\nhello,a\n")).problems, [
      `${join(dir, "nocol.csv")}:1: the header needs a "prompt" column (optional: max_tokens, type); got text,type`,
    ]);
    const path = file("rows.csv", 'prompt,max_tokens\nok,5\ntoo,many,fields\n"",3\nfine,zero\n"never closed,4\n');
    assert.deepEqual(load(path).problems, [
      `${path}:6: quoted field is never closed`,
      `${path}:3: expected 2 fields as in the header, got 3`,
      `${path}:4: the prompt is empty`,
      `${path}:5: max_tokens must be a positive integer (got "zero")`,
    ]);
  });

  test("unsupported, missing and empty files are problems too; a long list is cut short", () => {
    assert.match(load(file("p.txt", "hello")).problems[0]!, /--dataset .*p\.txt: unsupported file type \(use \.jsonl, \.csv or ShareGPT \.json\)/);
    assert.match(load(join(dir, "missing.jsonl")).problems[0]!, /--dataset: cannot read .*missing\.jsonl \(ENOENT\)/);
    assert.deepEqual(load(file("empty.jsonl", "\n\n")).problems, [`${join(dir, "empty.jsonl")}: no prompts in the file`]);
    const many = load(file("many.jsonl", "{\n".repeat(50))).problems;
    assert.equal(many.length, 21);
    assert.equal(many.at(-1), `${join(dir, "many.jsonl")}: 30 more bad lines`);
  });

  test("--dataset replaces --prompts; a scenario's prompt sets give way to it", () => {
    const path = file("one.jsonl", JSON.stringify({ prompt: "hi" }));
    assert.throws(() => resolveRunConfig({ dataset: path, prompts: "short" }, {}), /--prompts and --dataset cannot be combined/);
    assert.equal(resolveRunConfig({ dataset: path, scenario: "chaos" }, {}).dataset?.entries.length, 1);
  });

  test("the CLI exits 2 naming each bad line", async () => {
    const path = file("cli-bad.jsonl", `${JSON.stringify({ prompt: "ok" })}\n{oops\n${JSON.stringify({ prompt: "x", max_tokens: 0 })}\n`);
    const { code, stderr } = await runCli(["run", "--dataset", path, "--no-save", "--quiet"]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`${path}:2: not valid JSON`));
    assert.match(stderr, new RegExp(`${path}:3: max_tokens must be a positive integer \\(got 0\\)`));
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  });
});

describe("runs with a dataset", () => {
  const emulator = emulatorForSuite({ ttftMs: 2, itlMs: 1 });

  test("max_tokens and type per entry drive tokens and by_type; prompt lengths reach the report", async () => {
    const prompts = ["Short one.", "A somewhat longer prompt of several words.", "Medium length prompt here."];
    const path = file(
      "run.jsonl",
      [
        JSON.stringify({ prompt: prompts[0], max_tokens: 3, type: "small" }),
        JSON.stringify({ prompt: prompts[1], max_tokens: 7, type: "large" }),
        JSON.stringify({ prompt: prompts[2] }),
      ].join("\n"),
    );
    const config = resolveRunConfig({ target: emulator().url, dataset: path, clients: "2", cycles: "6", length: "5", quiet: true }, {});
    const { report } = await runLoadTest({ config });
    assert.equal(report.summary.successful, 12);
    // Entries are taken in turn, so each is sent 4 times, each with its own max_tokens (else --length).
    assert.deepEqual(Object.keys(report.by_type).sort(), ["dataset", "large", "small"]);
    assert.equal(report.by_type["small"]!.summary.tokens_total, 4 * 3);
    assert.equal(report.by_type["large"]!.summary.tokens_total, 4 * 7);
    assert.equal(report.by_type["dataset"]!.summary.tokens_total, 4 * 5);
    // The report file names the dataset and its make-up, not every prompt.
    assert.equal(report.config.prompts, undefined, "the built-in sets played no part");
    assert.deepEqual(JSON.parse(JSON.stringify(report.config.dataset)), { file: path, prompts: 3, types: { small: 1, large: 1, dataset: 1 } });

    const lengths = prompts.map((p) => p.length);
    const words = prompts.map((p) => p.split(/\s+/).length);
    assert.equal(report.prompts?.source, `dataset ${path}`);
    assert.deepEqual(
      [report.prompts?.chars?.count, report.prompts?.chars?.min, report.prompts?.chars?.max],
      [12, Math.min(...lengths), Math.max(...lengths)],
    );
    assert.ok(Math.abs(report.prompts!.chars!.mean - lengths.reduce((a, b) => a + b) / 3) < 0.1);
    // The emulator counts a prompt's words as its prompt tokens and reports them in usage.
    assert.deepEqual([report.prompts?.tokens?.count, report.prompts?.tokens?.min, report.prompts?.tokens?.max], [12, Math.min(...words), Math.max(...words)]);
  });

  test("built-in prompt sets get prompt statistics too, and the console prints them", async () => {
    const config = resolveRunConfig({ target: emulator().url, clients: "2", cycles: "2", length: "3", prompts: "short,long", quiet: true }, {});
    const { report } = await runLoadTest({ config });
    assert.match(renderConsoleReport(report), /PROMPTS \(built-in short,long, 4 sent\):\n  chars:  \[min=\d+, mean=[\d.]+, p50=\d+, p95=\d+, max=\d+\]\n  tokens: \[min=\d+/);
  });
});

describe("what a dataset puts on the wire", () => {
  const bodies: Array<Record<string, unknown>> = [];
  let server: Server;
  let url = "";
  before(async () => {
    // Records each request body and answers with a one-token OpenAI stream.
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        bodies.push(JSON.parse(text) as Record<string, unknown>);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "ok" } }] })}\n\ndata: [DONE]\n\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("chat protocols send a dataset's messages as given, with its max_tokens", async () => {
    const path = file("wire.jsonl", `${JSON.stringify({ messages: MESSAGES, max_tokens: 11 })}\n${JSON.stringify({ prompt: "Plain." })}\n`);
    const config = resolveRunConfig({ target: url, dataset: path, clients: "1", cycles: "2", quiet: true }, {});
    const { report } = await runLoadTest({ config });
    assert.equal(report.summary.successful, 2);
    assert.deepEqual(bodies[0]!.messages, MESSAGES);
    assert.equal(bodies[0]!.max_tokens, 11);
    assert.deepEqual(bodies[1]!.messages, [{ role: "user", content: "Plain." }]);
    assert.equal(bodies[1]!.max_tokens, undefined, "no --length against a real server: the server decides");
  });
});
