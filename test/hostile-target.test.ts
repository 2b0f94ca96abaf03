// The HTTP streaming driver against servers that misbehave (test/helpers/hostile-server.ts, all on
// 127.0.0.1): every request ends, classified by what happened. Regressions of issue 15: a response
// line with no end (a stream of one endless line) fails as `malformed` at --max-line-bytes instead of
// growing without bound in quadratic time; a server that closes its kept-alive connection after each
// response costs no request (the request goes out again, counted); a reset mid-stream is a broken
// stream, not a truncated one; an error status whose connection broke is that status.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadTestConfig, runLoadTest } from "../src/api.js";
import { LineSplitter } from "../src/protocols/http/lines.js";
import { SseSplitter } from "../src/protocols/http/sse.js";
import { ollamaGenerate } from "../src/protocols/ollama/client.js";
import { openAiChat } from "../src/protocols/openai/client.js";
import type { ProtocolDefinition } from "../src/protocols/types.js";
import type { RequestRecord } from "../src/report/types.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { startHostileServer, type HostileMode } from "./helpers/hostile-server.js";

function classes(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) {
    const key = record.error_class ?? "ok";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function against(
  mode: HostileMode,
  count: number,
  overrides: { protocol?: ProtocolDefinition; maxConnections?: number; maxLineBytes?: number; lineBytes?: number } = {},
): Promise<{ records: RequestRecord[]; retried: number }> {
  const server = await startHostileServer(mode, { lineBytes: overrides.lineBytes ?? 16 * 1024 * 1024 });
  let retried = 0;
  try {
    const options = driverOptions(server.url, {
      idleTimeoutMs: 1_000,
      timeoutMs: 20_000,
      maxConnections: overrides.maxConnections ?? count,
      onRetry: () => retried++,
      ...(overrides.maxLineBytes === undefined ? {} : { maxLineBytes: overrides.maxLineBytes }),
    });
    const { records } = await runRequests(overrides.protocol ?? openAiChat, options, count, 5);
    return { records, retried };
  } finally {
    await server.close();
  }
}

describe("every hostile mode ends each request with its class", () => {
  const expected: Array<[HostileMode, string]> = [
    ["silent", "timeout_headers"],
    ["close-at-once", "stream_aborted"],
    ["reset-at-once", "reset"],
    ["garbage", "other"],
    ["headers-then-silence", "timeout_idle"],
    ["reset-mid-stream", "stream_aborted"],
    ["reset-mid-close-delimited", "stream_aborted"],
    ["close-mid-chunked", "stream_aborted"],
    ["invalid-json", "malformed"],
    ["error-500", "http_500"],
    ["long-sse-line", "malformed"],
  ];
  for (const [mode, errorClass] of expected) {
    test(`${mode}: ${errorClass}`, async () => {
      const { records } = await against(mode, 3);
      assert.deepEqual(classes(records), { [errorClass]: 3 });
    });
  }
});

describe("regressions", () => {
  test("a reset in the middle of a stream delimited by the close is stream_aborted, not truncated", async () => {
    const { records } = await against("reset-mid-close-delimited", 4);
    for (const record of records) {
      assert.equal(record.error_class, "stream_aborted", record.error ?? "");
      assert.equal(record.status, 200);
      assert.equal(record.tokens, 2, "the tokens before the reset are counted");
    }
  });

  test("a 503 whose connection breaks inside its body is http_503 with its status", async () => {
    // One connection: every request after the first goes out on the reused socket and gets half a 503.
    const { records } = await against("half-503-on-reuse", 6, { maxConnections: 1 });
    const failed = records.filter((record) => record.error_class !== null);
    assert.ok(failed.length >= 1, JSON.stringify(classes(records)));
    for (const record of failed) {
      assert.equal(record.error_class, "http_503", record.error ?? "");
      assert.equal(record.status, 503);
    }
  });

  test("a server that closes after each Content-Length response: no request lost, the retries counted", async () => {
    const { records, retried } = await against("close-after-each", 30, { maxConnections: 1 });
    assert.deepEqual(classes(records), { ok: 30 });
    assert.ok(retried > 0 && retried <= 30, `retried ${retried}`);
  });

  test("the retries reach the report's connections.retried", async () => {
    const server = await startHostileServer("close-after-each");
    try {
      const { report } = await runLoadTest(loadTestConfig({ target: server.url, clients: 2, cycles: 10, seed: 3 }), { outputs: [] });
      assert.equal(report.summary.requests, 20);
      assert.equal(report.summary.failed, 0, JSON.stringify(report.errors));
      assert.ok((report.connections.retried ?? 0) > 0, JSON.stringify(report.connections));
    } finally {
      await server.close();
    }
  });

  test("a request is sent again at most once, and only on a reused connection", async () => {
    // Every connection closes as soon as a request arrives: the fresh one is not retried.
    const { records, retried } = await against("close-at-once", 3, { maxConnections: 1 });
    assert.deepEqual(classes(records), { stream_aborted: 3 });
    assert.equal(retried, 0);
  });

  test("an NDJSON line past --max-line-bytes fails as malformed, whatever the cap", async () => {
    const ndjson = await against("long-ndjson-line", 2, { protocol: ollamaGenerate });
    assert.deepEqual(classes(ndjson.records), { malformed: 2 });
    assert.match(ndjson.records[0]!.error ?? "", /8388608 bytes \(--max-line-bytes\)/);
    const small = await against("long-sse-line", 2, { maxLineBytes: 100_000, lineBytes: 300_000 });
    assert.deepEqual(classes(small.records), { malformed: 2 });
    assert.match(small.records[0]!.error ?? "", /100000 bytes/);
  });
});

describe("line splitting", () => {
  test("one 32 MiB line is split in time proportional to its length", () => {
    // Quadratic splitting took about 95 s for this line; linear takes well under a second. The
    // bound only tells the two apart, it does not time the machine.
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 64 * 1024 * 1024);
    const piece = Buffer.alloc(64 * 1024, "x");
    const startedAt = performance.now();
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += piece.length) splitter.push(piece, 0);
    splitter.push(Buffer.from("\r\n{}\n"), 1);
    const tookMs = performance.now() - startedAt;
    assert.deepEqual(lines.map((line) => line.length), [32 * 1024 * 1024, 2]);
    assert.ok(tookMs < 20_000, `took ${tookMs} ms`);
  });

  test("lines cut anywhere, multi-byte characters included, come out whole", () => {
    const text = '{"a":"é€𝄞"}\r\n{"b":1}\n\n{"c":"ü"}\n{"d":2}';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines: string[] = [];
      const splitter = new LineSplitter((line) => lines.push(line));
      splitter.push(bytes.subarray(0, cut), 0);
      splitter.push(bytes.subarray(cut), 0);
      splitter.flush(0);
      assert.deepEqual(lines, ['{"a":"é€𝄞"}', '{"b":1}', '{"c":"ü"}', '{"d":2}'], `cut at ${cut}`);
    }
  });

  test("the cap counts a line across chunks, and a line within it passes", () => {
    const ok: string[] = [];
    const within = new LineSplitter((line) => ok.push(line), 10);
    within.push(Buffer.from("12345"), 0);
    within.push(Buffer.from("67890\nab"), 0);
    assert.deepEqual(ok, ["1234567890"]);
    const over = new LineSplitter(() => undefined, 10);
    over.push(Buffer.from("12345"), 0);
    assert.throws(() => over.push(Buffer.from("678901"), 0), /exceeded 10 bytes/);
    const oneChunk = new LineSplitter(() => undefined, 10);
    assert.throws(() => oneChunk.push(Buffer.from("12345678901\n"), 0), /exceeded 10 bytes/);
  });

  test("an SSE event past the cap fails; events within it pass", () => {
    const events: string[] = [];
    const sse = new SseSplitter((data) => events.push(data), 20);
    sse.push(Buffer.from("data: short\n\n"), 0);
    assert.deepEqual(events, ["short"]);
    assert.throws(() => {
      for (let i = 0; i < 10; i++) sse.push(Buffer.from("data: 0123456789"), 0);
    }, /exceeded 20 bytes/);
  });
});
