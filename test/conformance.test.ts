// One conformance suite run against every protocol driver, each against the emulator's side of the
// same protocol: token counts, timing, end markers, and every failure class.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../src/emulator/index.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { suiteTargetFor } from "./helpers/suite-target.js";
import { PROTOCOLS } from "../src/protocols/registry.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { freePort } from "../src/cluster/processes.js";

// Conversation protocols (voice) have no per-request token budget and no HTTP status per request:
// they prove themselves on turns, connection failures and drops (voiceConformance below).
for (const protocol of PROTOCOLS.filter((p) => !p.requests)) {
  describe(`driver ${protocol.name}`, () => {
    // Protocols with their own embedded server (session, voice) run the suite against it.
    const emulator = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1, ndjsonCompletions: protocol.name === "ndjson" });

    test("streams exactly the requested tokens with measured timing", async () => {
      const { records, collector } = await runRequests(protocol, driverOptions(emulator().url), 8, 25);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.equal(record.chunks, 25);
        assert.equal(record.tokens, 25);
        assert.equal(record.tokens_lost, 0);
        // Correctness only: the first request of a connection also pays for connecting and a cold
        // JIT; accuracy is asserted in accuracy.test.ts and the benchmark.
        assert.ok(record.ttft_ms! >= 29 && record.ttft_ms! < 250, `ttft ${record.ttft_ms}`);
        assert.ok(record.itl_mean_ms! > 4.5 && record.itl_mean_ms! < 15, `itl ${record.itl_mean_ms}`);
        assert.ok(record.e2e_ms! >= record.ttft_ms!);
      }
      assert.equal(collector.overall.latency.itl.count, 8 * 24);
      assert.ok(collector.connectionsOpened >= 1);
    });

    test("server error statuses are classified as http_<status>", async () => {
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "503" } });
      const { records, collector } = await runRequests(protocol, options, 3, 5);
      for (const record of records) {
        assert.equal(record.ok, false);
        assert.equal(record.error_class, "http_503");
        assert.equal(record.status, 503);
      }
      assert.equal(collector.errors.get("http_503"), 3);
    });

    test("a connection closed mid-stream is stream_aborted", async () => {
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "disconnect" } });
      const { records } = await runRequests(protocol, options, 2, 20);
      for (const record of records) {
        assert.equal(record.error_class, "stream_aborted", record.error ?? "");
        assert.ok(record.chunks > 0 && record.chunks < 20);
      }
    });

    test("a stalled stream fails as timeout_idle", async () => {
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "stall" }, idleTimeoutMs: 300 });
      const { records } = await runRequests(protocol, options, 2, 20);
      for (const record of records) assert.equal(record.error_class, "timeout_idle", record.error ?? "");
    });

    test("an invalid payload is malformed", async () => {
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "malformed" } });
      const { records } = await runRequests(protocol, options, 2, 10);
      for (const record of records) assert.equal(record.error_class, "malformed", record.error ?? "");
    });

    test("nothing listening is refused, without throwing", async () => {
      const port = await freePort("127.0.0.1");
      const { records, collector } = await runRequests(protocol, driverOptions(`http://127.0.0.1:${port}`), 3, 5);
      for (const record of records) assert.equal(record.error_class, "refused", record.error ?? "");
      assert.equal(collector.connectionsFailed >= 1, true);
    });
  });
}

for (const protocol of PROTOCOLS.filter((p) => p.requests)) {
  describe(`voice driver ${protocol.name}`, () => {
    // 20 audio deltas of 20 ms each per answer, first audio 30 ms after the end of speech, 4x real time.
    const target = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1 });

    test("completes conversation turns with measured voice latencies", async () => {
      const { records, collector } = await runRequests(protocol, driverOptions(target().url), 4, null);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.ok(record.chunks > 0, "audio deltas arrive as chunks");
        const ttfa = record.measures?.ttfa ?? -1;
        assert.ok(ttfa >= 29 && ttfa < 250, `ttfa ${ttfa}`);
        assert.ok((record.measures?.response_total ?? -1) >= ttfa);
      }
      assert.equal(collector.overall.latency.ttfa.count, 4);
      assert.ok(collector.connectionsOpened >= 1);
    });

    test("a connection dropped mid-response is stream_aborted", async () => {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "disconnect" } });
      const { records } = await runRequests(protocol, options, 2, null);
      for (const record of records) {
        assert.equal(record.error_class, "stream_aborted", record.error ?? "");
        assert.ok(record.chunks > 0, "the drop comes mid-response");
      }
    });

    test("nothing listening is refused, without throwing", async () => {
      const port = await freePort("127.0.0.1");
      const { records, collector } = await runRequests(protocol, driverOptions(`http://127.0.0.1:${port}`), 2, null);
      for (const record of records) assert.equal(record.error_class, "refused", record.error ?? "");
      assert.ok(collector.connectionsFailed >= 1);
    });
  });
}

describe("end markers", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1, length: 10, seed: 2 });

  for (const name of ["openai-chat", "openai-completions", "ollama-generate", "ollama-chat", "ndjson"]) {
    test(`${name}: a stream that ends without its end marker is truncated`, async () => {
      const protocol = PROTOCOLS.find((p) => p.name === name)!;
      const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "truncate" } });
      const { records } = await runRequests(protocol, options, 2, 10);
      for (const record of records) assert.equal(record.error_class, "truncated", record.error ?? "");
    });
  }

  test("ndjson: a short stream also counts its missing tokens as lost", async () => {
    const protocol = PROTOCOLS.find((p) => p.name === "ndjson")!;
    const options = driverOptions(emulator().url, { headers: { "x-tokenstorm-fail": "truncate" } });
    const { records, collector } = await runRequests(protocol, options, 2, 10);
    for (const record of records) {
      assert.equal(record.tokens_expected, 10);
      assert.equal(record.tokens_lost, 10 - record.chunks);
      assert.ok(record.tokens_lost > 0);
    }
    assert.equal(collector.overall.tokensLost, records[0]!.tokens_lost + records[1]!.tokens_lost);
  });
});

test("a target URL with a path prefix or a trailing /v1 keeps requests on the right path", async () => {
  const emulator = await startEmulator({ port: 0, ttftMs: 1, itlMs: 1, length: 3, seed: 5 });
  try {
    const chat = PROTOCOLS.find((p) => p.name === "openai-chat")!;
    const { records } = await runRequests(chat, driverOptions(`${emulator.url}/v1/`), 1, 3);
    assert.equal(records[0]!.ok, true, records[0]!.error ?? "");
    const prefixed = await runRequests(chat, driverOptions(`${emulator.url}/proxy`), 1, 3);
    assert.equal(prefixed.records[0]!.error_class, "http_404");
  } finally {
    await emulator.close();
  }
});
