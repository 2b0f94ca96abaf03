// Multi-turn conversations (`run --turns T --session-header NAME`, issue 17 item 5) against the real
// emulator, through a recording proxy that keeps every request body and every streamed response:
// turn k carries the k - 1 earlier replies byte for byte as they streamed, every request of a
// conversation carries one session id and comes from one client, by_turn and the conversation
// counts add up, and the segments of a run merge into the same by_turn.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { mergeReports } from "../src/distributed/merge.js";
import { metricValue } from "../src/report/thresholds.js";
import type { Report, RequestRecord } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { type Exchange, recordingProxyForSuite } from "./helpers/recording-proxy.js";

/** The JSON payloads of an SSE stream's data lines. */
function sseData(text: string): Array<Record<string, any>> {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:") && line.slice(5).trim() !== "[DONE]")
    .map((line) => JSON.parse(line.slice(5)) as Record<string, any>);
}

function ndjson(text: string): Array<Record<string, any>> {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as Record<string, any>);
}

interface ProtocolCase {
  protocol: string;
  /** The answer text of a recorded response: its content deltas concatenated. */
  reply(response: string): string;
  /** The conversation a request body sends: its turns (user and assistant, in order), or its prompt. */
  sent(body: Record<string, any>): { messages: Array<{ role: string; content: string }> } | { prompt: string };
}

const chatMessages = (body: Record<string, any>): { messages: Array<{ role: string; content: string }> } => ({ messages: body.messages });
const CASES: ProtocolCase[] = [
  { protocol: "openai-chat", reply: (r) => sseData(r).map((e) => e.choices?.[0]?.delta?.content ?? "").join(""), sent: chatMessages },
  { protocol: "openai-completions", reply: (r) => sseData(r).map((e) => e.choices?.[0]?.text ?? "").join(""), sent: (body) => ({ prompt: body.prompt }) },
  {
    protocol: "anthropic-messages",
    reply: (r) => sseData(r).filter((e) => e.type === "content_block_delta" && e.delta?.type === "text_delta").map((e) => e.delta.text).join(""),
    sent: chatMessages,
  },
  {
    protocol: "openai-responses",
    reply: (r) => sseData(r).filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join(""),
    // A first turn without history goes as a plain string input.
    sent: (body) => ({ messages: typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input }),
  },
  { protocol: "ollama-chat", reply: (r) => ndjson(r).map((line) => line.message?.content ?? "").join(""), sent: chatMessages },
  { protocol: "ollama-generate", reply: (r) => ndjson(r).map((line) => line.response ?? "").join(""), sent: (body) => ({ prompt: body.prompt }) },
];

/** Prompts the emulator echoes back: quotes, backslashes, accents, emoji and markup must survive the round trip. */
const PROMPTS = [`Say "héllo" back\\slash ✓ 🚀 <b>&amp;</b>`, `naïve café — ünïcödé 日本語 'quoted' {"json": [1, 2]}`, `tab	separated and "more" words here`];

function writeDataset(dir: string): string {
  const file = join(dir, "prompts.jsonl");
  writeFileSync(file, PROMPTS.map((prompt) => JSON.stringify({ prompt })).join("\n"));
  return file;
}

function rawRecords(file: string): RequestRecord[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as RequestRecord);
}

/** Exchanges grouped by their session header, each conversation's in the order they were sent. */
function byConversation(exchanges: readonly Exchange[], header: string): Map<string, Exchange[]> {
  const groups = new Map<string, Exchange[]>();
  for (const exchange of exchanges) {
    const id = exchange.headers[header];
    assert.equal(typeof id, "string", `every request carries ${header}`);
    groups.set(id as string, [...(groups.get(id as string) ?? []), exchange]);
  }
  return groups;
}

/** Turn k sends turn k - 1's conversation, then the reply to it exactly as streamed, then the next user message. */
function assertCarriesReplies(protocolCase: ProtocolCase, turns: readonly Exchange[]): void {
  const replies = turns.map((turn) => protocolCase.reply(turn.response));
  replies.forEach((reply) => assert.ok(reply.length > 0, "every turn got a reply"));
  for (let k = 1; k < turns.length; k++) {
    const before = protocolCase.sent(turns[k - 1]!.body);
    const now = protocolCase.sent(turns[k]!.body);
    if ("prompt" in before && "prompt" in now) {
      assert.ok(now.prompt.startsWith(`${before.prompt}${replies[k - 1]}\n\n`), `turn ${k + 1}'s prompt continues turn ${k}'s prompt and reply`);
      continue;
    }
    assert.ok("messages" in before && "messages" in now);
    assert.deepEqual(now.messages.slice(0, before.messages.length), before.messages, `turn ${k + 1} repeats turn ${k}'s messages`);
    assert.deepEqual(now.messages[before.messages.length], { role: "assistant", content: replies[k - 1] }, `turn ${k + 1} sends reply ${k} byte for byte`);
    assert.equal(now.messages.length, before.messages.length + 2);
    assert.equal(now.messages.at(-1)!.role, "user");
    const assistants = now.messages.filter((message) => message.role === "assistant").map((message) => message.content);
    assert.deepEqual(assistants, replies.slice(0, k), `turn ${k + 1} holds the ${k} earlier replies`);
  }
}

/** A tool call as a response streamed it, and as a later request sends it back with its result. */
interface SentCall {
  id: string;
  name: string;
  /** The arguments, parsed. */
  args: unknown;
}

interface ToolCase {
  protocol: string;
  /** The tool call a recorded response made. */
  called(response: string): SentCall;
  /** What a request body sends back: the calls the assistant made, then the results, in order. */
  sentBack(body: Record<string, any>): { calls: SentCall[]; results: Array<{ id: string; content: string }>; users: string[] };
}

const TOOL_CASES: ToolCase[] = [
  {
    protocol: "openai-chat",
    called: (response) => {
      const deltas = sseData(response).flatMap((e) => e.choices?.[0]?.delta?.tool_calls ?? []);
      return { id: deltas[0].id, name: deltas[0].function.name, args: JSON.parse(deltas.map((d: any) => d.function?.arguments ?? "").join("")) };
    },
    sentBack: (body) => ({
      calls: body.messages.flatMap((m: any) => (m.tool_calls ?? []).map((c: any) => ({ id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) }))),
      results: body.messages.filter((m: any) => m.role === "tool").map((m: any) => ({ id: m.tool_call_id, content: m.content })),
      users: body.messages.filter((m: any) => m.role === "user").map((m: any) => m.content),
    }),
  },
  {
    protocol: "anthropic-messages",
    called: (response) => {
      const events = sseData(response);
      const block = events.find((e) => e.type === "content_block_start" && e.content_block.type === "tool_use")!.content_block;
      const input = events.filter((e) => e.delta?.type === "input_json_delta").map((e) => e.delta.partial_json).join("");
      return { id: block.id, name: block.name, args: JSON.parse(input) };
    },
    sentBack: (body) => {
      const blocks = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : []));
      return {
        calls: blocks.filter((b: any) => b.type === "tool_use").map((b: any) => ({ id: b.id, name: b.name, args: b.input })),
        results: blocks.filter((b: any) => b.type === "tool_result").map((b: any) => ({ id: b.tool_use_id, content: b.content })),
        users: body.messages.filter((m: any) => m.role === "user" && typeof m.content === "string").map((m: any) => m.content),
      };
    },
  },
  {
    protocol: "openai-responses",
    called: (response) => {
      const events = sseData(response);
      const item = events.find((e) => e.type === "response.output_item.added" && e.item.type === "function_call")!.item;
      const args = events.filter((e) => e.type === "response.function_call_arguments.delta").map((e) => e.delta).join("");
      return { id: item.call_id, name: item.name, args: JSON.parse(args) };
    },
    sentBack: (body) => ({
      calls: body.input.filter((i: any) => i.type === "function_call").map((i: any) => ({ id: i.call_id, name: i.name, args: JSON.parse(i.arguments) })),
      results: body.input.filter((i: any) => i.type === "function_call_output").map((i: any) => ({ id: i.call_id, content: i.output })),
      users: body.input.filter((i: any) => i.role === "user").map((i: any) => i.content),
    }),
  },
  {
    protocol: "ollama-chat",
    // Ollama's calls have no id: the conversation names them call_0, call_1... and sends the tool's name with the result.
    called: (response) => {
      const call = ndjson(response).find((line) => line.message?.tool_calls)!.message.tool_calls[0];
      return { id: "", name: call.function.name, args: call.function.arguments };
    },
    sentBack: (body) => ({
      calls: body.messages.flatMap((m: any) => (m.tool_calls ?? []).map((c: any) => ({ id: "", name: c.function.name, args: c.function.arguments }))),
      results: body.messages.filter((m: any) => m.role === "tool").map((m: any) => ({ id: "", content: m.content, name: m.tool_name })),
      users: body.messages.filter((m: any) => m.role === "user").map((m: any) => m.content),
    }),
  },
];

describe("multi-turn conversations whose answers are tool calls: an agent's loop", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, toolCallRate: 1, warmUp: false });
  const proxy = recordingProxyForSuite(() => emulator().url);
  const tools = [{ type: "function", function: { name: "lookup", description: "look a word up", parameters: { type: "object", properties: { word: { type: "string" } } } } }];

  for (const toolCase of TOOL_CASES) {
    it(`${toolCase.protocol}: each call goes back as streamed, with its result (the next drawn text) instead of a user message`, async () => {
      proxy.exchanges.length = 0;
      const cwd = tempDir();
      const file = join(cwd, "tools.jsonl");
      writeFileSync(file, ["first question", "second result", "third result"].map((prompt) => JSON.stringify({ prompt, tools })).join("\n"));
      const result = await runCli(
        ["run", "--target", proxy.url(), "--protocol", toolCase.protocol, "--turns", "3", "--clients", "1", "--cycles", "1", "--session-header", "X-Conversation", "--dataset", file, "--out", "r.json", "--no-save", "--quiet"],
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      const turns = [...byConversation(proxy.exchanges, "x-conversation").values()][0]!;
      assert.equal(turns.length, 3);
      const made = turns.map((turn) => toolCase.called(turn.response));
      for (const call of made) assert.equal(call.name, "lookup", "every turn was answered by a tool call");
      // Turn 3 holds the whole loop: the user's question, call 1, its result, call 2, its result; no second user message.
      const third = toolCase.sentBack(turns[2]!.body);
      assert.deepEqual(third.users, ["first question"]);
      assert.deepEqual(third.calls, made.slice(0, 2), "the calls as they streamed");
      assert.deepEqual(third.results.map((r) => r.content), ["second result", "third result"]);
      if (made[0]!.id !== "") assert.deepEqual(third.results.map((r) => r.id), made.slice(0, 2).map((call) => call.id), "each result answers its call");
      else assert.deepEqual(third.results.map((r: any) => r.name), ["lookup", "lookup"], "Ollama: each result names its tool");
      // Turn 2 is turn 3's conversation up to the first result.
      assert.deepEqual(toolCase.sentBack(turns[1]!.body).results.map((r) => r.content), ["second result"]);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      assert.deepEqual(report.conversations, { started: 1, completed: 1 });
      assert.equal(report.summary.tool_calls_total, 3);
    });
  }
});

describe("multi-turn conversations against the emulator", () => {
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, text: "echo", warmUp: false });
  const proxy = recordingProxyForSuite(() => emulator().url);

  for (const protocolCase of CASES) {
    it(`${protocolCase.protocol}: turn k carries the k-1 earlier replies as streamed; one session id and one client per conversation; by_turn and conversations add up`, async () => {
      proxy.exchanges.length = 0;
      const cwd = tempDir();
      const result = await runCli(
        [
          "run", "--target", proxy.url(), "--protocol", protocolCase.protocol, "--turns", "3", "--clients", "3", "--cycles", "2",
          "--session-header", "X-Conversation", "--dataset", writeDataset(cwd), "--length", "12", "--seed", "4",
          "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet",
        ],
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(proxy.exchanges.length, 18);
      const conversations = byConversation(proxy.exchanges, "x-conversation");
      assert.equal(conversations.size, 6);
      for (const turns of conversations.values()) {
        assert.equal(turns.length, 3);
        assertCarriesReplies(protocolCase, turns);
      }

      const records = rawRecords(join(cwd, "raw.ndjson"));
      assert.equal(records.length, 18);
      const recordsOf = new Map<string, RequestRecord[]>();
      for (const record of records) recordsOf.set(record.conversation!, [...(recordsOf.get(record.conversation!) ?? []), record]);
      assert.deepEqual([...recordsOf.keys()].sort(), [...conversations.keys()].sort(), "raw records name the conversations the server saw");
      for (const [id, turns] of recordsOf) {
        assert.equal(new Set(turns.map((record) => record.client)).size, 1, `${id} never moves client`);
        assert.equal(id, `conv-${turns[0]!.client}-${turns[0]!.cycle}`);
        assert.deepEqual(turns.map((record) => record.turn).sort(), [1, 2, 3]);
      }

      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
      assert.deepEqual(Object.keys(report.by_turn ?? {}), ["1", "2", "3"]);
      for (const turn of ["1", "2", "3"]) {
        assert.equal(report.by_turn![turn]!.summary.requests, 6);
        assert.equal(report.by_turn![turn]!.latency["ttft"]?.count, 6);
      }
      assert.deepEqual(report.conversations, { started: 6, completed: 6 });
      assert.equal(report.summary.requests, 18);
      assert.deepEqual(report.config["conversations"], { turns: 3, thinkTimeS: 0, sessionHeader: "x-conversation" });
    });
  }
});

describe("multi-turn conversations: failures, datasets and merging", () => {
  const flaky = emulatorForSuite({ ttftMs: 1, itlMs: 1, errorRate: 0.3, seed: 11, warmUp: false });
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, warmUp: false });
  const proxy = recordingProxyForSuite(() => emulator().url);

  it("a failed turn ends its conversation, which is not counted completed", async () => {
    const cwd = tempDir();
    const result = await runCli(
      ["run", "--target", flaky().url, "--turns", "4", "--clients", "4", "--cycles", "5", "--length", "3", "--allow-failures", "--raw", "raw.ndjson", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const records = rawRecords(join(cwd, "raw.ndjson"));
    const recordsOf = new Map<string, RequestRecord[]>();
    for (const record of records) recordsOf.set(record.conversation!, [...(recordsOf.get(record.conversation!) ?? []), record]);
    assert.equal(recordsOf.size, 20);
    let completed = 0;
    for (const [id, turns] of recordsOf) {
      turns.sort((a, b) => a.turn! - b.turn!);
      assert.deepEqual(turns.map((record) => record.turn), turns.map((_, i) => i + 1), `${id}: turns in sequence`);
      const failed = turns.findIndex((record) => !record.ok);
      if (failed >= 0) assert.equal(failed, turns.length - 1, `${id}: nothing is sent after a failed turn`);
      else assert.equal(turns.length, 4);
      if (failed < 0) completed++;
    }
    assert.ok(completed < 20 && records.some((record) => !record.ok), "the emulator failed some turns");
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.deepEqual(report.conversations, { started: 20, completed });
    const byTurn = report.by_turn!;
    for (const turn of ["1", "2", "3", "4"]) {
      assert.equal(byTurn[turn]!.summary.requests, records.filter((record) => record.turn === Number(turn)).length);
    }
  });

  it("a ShareGPT dataset's conversations play their own human turns, at most --turns", async () => {
    proxy.exchanges.length = 0;
    const cwd = tempDir();
    const file = join(cwd, "share.json");
    const turn = (from: string, value: string): { from: string; value: string } => ({ from, value });
    writeFileSync(
      file,
      JSON.stringify([
        { conversations: [turn("human", "first question"), turn("gpt", "one two three"), turn("human", "second question"), turn("gpt", "four five"), turn("human", "third question"), turn("gpt", "six")] },
        { conversations: [turn("system", "be brief"), turn("human", "only question"), turn("gpt", "seven eight")] },
      ]),
    );
    const result = await runCli(
      ["run", "--target", proxy.url(), "--dataset", file, "--turns", "2", "--clients", "1", "--cycles", "2", "--session-header", "X-Conversation", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const conversations = [...byConversation(proxy.exchanges, "x-conversation").values()];
    assert.deepEqual(conversations.map((turns) => turns.length), [2, 1]);
    const second = conversations[0]![1]!.body as { messages: Array<{ role: string; content: string }>; max_tokens: number };
    assert.deepEqual(second.messages.map((m) => m.role), ["user", "assistant", "user"]);
    assert.equal(second.messages[2]!.content, "second question");
    assert.equal(second.max_tokens, 2, "a dataset turn asks for its recorded reply's length");
    assert.deepEqual(((conversations[1]![0]!.body as { messages: unknown[] }).messages), [{ role: "system", content: "be brief" }, { role: "user", content: "only question" }]);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.by_turn!["1"]!.summary.requests, 2);
    assert.equal(report.by_turn!["2"]!.summary.requests, 1);
    assert.deepEqual(report.conversations, { started: 2, completed: 2 });
  });

  it("the segments of a multi-turn run merge into by_turn and conversations summed, as by_type is", async () => {
    const cwd = tempDir();
    const reports: Report[] = [];
    for (const segment of ["1/2", "2/2"]) {
      const out = `r-${segment.replace("/", "-")}.json`;
      const result = await runCli(
        [
          "run", "--target", emulator().url, "--turns", "3", "--clients", "4", "--cycles", "2", "--length", "3", "--segment", segment,
          "--threshold", "by_turn.3.success_rate>=1", "--out", out, "--no-save", "--quiet",
        ],
        { cwd },
      );
      assert.equal(result.code, 0, result.stderr);
      reports.push(JSON.parse(readFileSync(join(cwd, out), "utf8")) as Report);
    }
    const { report } = mergeReports(reports.map((r, i) => ({ name: `segment ${i + 1}`, report: r })));
    assert.deepEqual(report.conversations, { started: 8, completed: 8 });
    for (const turn of ["1", "2", "3"]) {
      const parts = reports.map((r) => r.by_turn![turn]!);
      assert.equal(report.by_turn![turn]!.summary.requests, 8);
      assert.equal(report.by_turn![turn]!.latency["ttft"]!.count, parts.reduce((sum, part) => sum + part.latency["ttft"]!.count, 0));
      assert.equal(report.by_turn![turn]!.latency["ttft"]!.max, Math.max(...parts.map((part) => part.latency["ttft"]!.max)));
    }
    assert.ok(report.merge!.by_turn, "the merged report can be merged again");
    // Thresholds read a turn as they read a request type, in each segment and in the merged report.
    assert.equal(metricValue(report, "by_turn.2.requests"), 8);
    assert.equal(metricValue(report, "by_turn.1.ttft.count"), 8);
    for (const r of [...reports, report]) assert.deepEqual(r.thresholds, [{ expression: "by_turn.3.success_rate>=1", ok: true, actual: 1 }]);
  });
});

describe("multi-turn flags", () => {
  const usage = async (args: string[], pattern: RegExp): Promise<void> => {
    const result = await runCli(["run", ...args, "--no-save", "--quiet"], { cwd: tempDir() });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, pattern);
  };

  it("a bad --turns, --turn-think-time or --session-header is one line naming the flag, exit 2", async () => {
    await usage(["--turns", "0"], /--turns must be a positive integer \(got "0"\)/);
    await usage(["--turns", "two"], /--turns must be a positive integer/);
    await usage(["--turns", "3", "--turn-think-time", "-1"], /--turn-think-time must be a number >= 0/);
    await usage(["--turn-think-time", "2"], /--turn-think-time needs --turns of 2 or more/);
    await usage(["--turns", "2", "--session-header", "bad header"], /--session-header must be an HTTP header name/);
    await usage(["--turns", "2", "--protocol", "realtime"], /--turns needs a protocol that streams a text reply to a conversation .*not --protocol realtime/);
  });
});
