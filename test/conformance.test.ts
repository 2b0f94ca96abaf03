// One conformance suite run against every protocol driver, each against the emulator's side of the
// same protocol: token counts, end markers and every failure class. Every driver runs every case; a
// driver that cannot take one says so, with its reason, in DRIVERS below, and the suite prints the
// case as skipped with that reason. How close the drivers' clocks come: test/timing/driver-timing.test.ts.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../src/emulator/index.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { suiteTargetFor } from "./helpers/suite-target.js";
import { PROTOCOLS } from "../src/protocols/registry.js";
import type { ProtocolDefinition } from "../src/protocols/types.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { freePort } from "../src/cluster/processes.js";

type Target = () => { url: string };

interface ConformanceCase {
  name: string;
  title: string;
  run(protocol: ProtocolDefinition, target: Target): Promise<void>;
}

const CASES: ConformanceCase[] = [
  {
    name: "tokens",
    title: "streams exactly the requested tokens with measured timing",
    async run(protocol, target) {
      const { records, collector } = await runRequests(protocol, driverOptions(target().url), 8, 25);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.equal(record.chunks, 25);
        assert.equal(record.tokens, 25);
        assert.equal(record.tokens_lost, 0);
        // Never earlier than the emulator's 30 ms; how close to it is the timing suite's.
        assert.ok(record.ttft_ms! >= 29, `ttft ${record.ttft_ms}`);
        assert.ok(record.itl_mean_ms !== null && record.itl_mean_ms! >= 0, `itl ${record.itl_mean_ms}`);
        assert.ok(record.e2e_ms! >= record.ttft_ms!);
      }
      assert.equal(collector.overall.latency.itl.count, 8 * 24);
      assert.ok(collector.connectionsOpened >= 1);
    },
  },
  {
    name: "turns",
    title: "completes conversation turns with measured voice latencies",
    async run(protocol, target) {
      const { records, collector } = await runRequests(protocol, driverOptions(target().url), 4, null);
      for (const record of records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.ok(record.chunks > 0, "audio deltas arrive as chunks");
        const ttfa = record.measures?.ttfa ?? -1;
        assert.ok(ttfa >= 29, `ttfa ${ttfa}`);
        assert.ok((record.measures?.response_total ?? -1) >= ttfa);
      }
      assert.equal(collector.overall.latency.ttfa.count, 4);
      assert.ok(collector.connectionsOpened >= 1);
    },
  },
  {
    name: "http-status",
    title: "server error statuses are classified as http_<status>",
    async run(protocol, target) {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "503" } });
      const { records, collector } = await runRequests(protocol, options, 3, 5);
      for (const record of records) {
        assert.equal(record.ok, false);
        assert.equal(record.error_class, "http_503");
        assert.equal(record.status, 503);
      }
      assert.equal(collector.errors.get("http_503"), 3);
    },
  },
  {
    name: "disconnect",
    title: "a connection closed mid-stream is stream_aborted",
    async run(protocol, target) {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "disconnect" } });
      const { records } = await runRequests(protocol, options, 2, protocol.requests ? null : 20);
      for (const record of records) {
        assert.equal(record.error_class, "stream_aborted", record.error ?? "");
        assert.ok(record.chunks > 0, "the drop comes mid-stream");
        if (!protocol.requests) assert.ok(record.chunks < 20);
      }
    },
  },
  {
    name: "stall",
    title: "a stalled stream fails as timeout_idle",
    async run(protocol, target) {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "stall" }, idleTimeoutMs: 300 });
      const { records } = await runRequests(protocol, options, 2, 20);
      for (const record of records) assert.equal(record.error_class, "timeout_idle", record.error ?? "");
    },
  },
  {
    name: "malformed",
    title: "an invalid payload is malformed",
    async run(protocol, target) {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "malformed" } });
      const { records } = await runRequests(protocol, options, 2, 10);
      for (const record of records) assert.equal(record.error_class, "malformed", record.error ?? "");
    },
  },
  {
    name: "truncated",
    title: "a stream that ends without its end marker is truncated",
    async run(protocol, target) {
      const options = driverOptions(target().url, { headers: { "x-tokenstorm-fail": "truncate" } });
      const { records } = await runRequests(protocol, options, 2, 10);
      for (const record of records) assert.equal(record.error_class, "truncated", record.error ?? "");
    },
  },
  {
    name: "refused",
    title: "nothing listening is refused, without throwing",
    async run(protocol) {
      const port = await freePort("127.0.0.1");
      const { records, collector } = await runRequests(protocol, driverOptions(`http://127.0.0.1:${port}`), 2, protocol.requests ? null : 5);
      for (const record of records) assert.equal(record.error_class, "refused", record.error ?? "");
      assert.ok(collector.connectionsFailed >= 1);
    },
  },
];

interface Skip {
  case: string;
  reason: string;
}

const TOKEN_STREAM_SKIPS: Skip[] = [{ case: "turns", reason: "one request is one token stream, not a conversation turn" }];
/** Embeddings: a request is one answer (a batch of vectors), so it cannot stream a token budget. */
const EMBEDDINGS_SKIPS: Skip[] = [
  ...TOKEN_STREAM_SKIPS,
  { case: "tokens", reason: "one request is one JSON answer (its first byte the one chunk, its inputs the tokens), not max_tokens chunks: test/openai-embeddings.test.ts counts vectors and inputs" },
];
/** Both voice transports: a turn is not a token stream, and a silent agent is a turn timeout. */
const VOICE_SKIPS: Skip[] = [
  { case: "tokens", reason: "a conversation turn has no per-request token budget: its answer is audio of the agent's length" },
  { case: "stall", reason: "a silent agent ends the turn as timeout at the scenario's limit, not timeout_idle (test/voice-emulator.test.ts)" },
  { case: "truncated", reason: "a turn has no end marker apart from response.done; a session cut short is stream_aborted (the disconnect case)" },
];
const REALTIME_SKIPS: Skip[] = [
  ...VOICE_SKIPS,
  { case: "http-status", reason: "a refused WebSocket upgrade is classified http_<status>, but the voice driver records no HTTP status on the turn (known gap)" },
];
const GRPC_VOICE_SKIPS: Skip[] = [
  ...VOICE_SKIPS,
  { case: "http-status", reason: "gRPC answers with its own status codes: an HTTP 503 forced on the call is grpc_unavailable (test/grpc-voice.test.ts)" },
  { case: "malformed", reason: "events are protobuf messages decoded by grpc-js: the gateway cannot send an undecodable one (decode errors map to malformed in src/protocols/grpc-voice/status.ts)" },
];

/** Every registered driver, with the emulator timing of its suite and the cases it cannot take. */
const DRIVERS: Record<string, Skip[]> = {
  "openai-chat": TOKEN_STREAM_SKIPS,
  "openai-completions": TOKEN_STREAM_SKIPS,
  "openai-responses": TOKEN_STREAM_SKIPS,
  "openai-embeddings": EMBEDDINGS_SKIPS,
  "ollama-generate": TOKEN_STREAM_SKIPS,
  "ollama-chat": TOKEN_STREAM_SKIPS,
  ndjson: TOKEN_STREAM_SKIPS,
  session: TOKEN_STREAM_SKIPS,
  realtime: REALTIME_SKIPS,
  "grpc-voice": GRPC_VOICE_SKIPS,
  "anthropic-messages": TOKEN_STREAM_SKIPS,
};

test("every registered driver is in the conformance table, and every skip names a case and a reason", (t) => {
  assert.deepEqual(Object.keys(DRIVERS).sort(), PROTOCOLS.map((p) => p.name).sort());
  for (const [name, skips] of Object.entries(DRIVERS)) {
    for (const skip of skips) {
      assert.ok(CASES.some((c) => c.name === skip.case), `${name}: skip of unknown case "${skip.case}"`);
      assert.ok(skip.reason.length > 10, `${name}: skip of "${skip.case}" needs a reason`);
    }
  }
  // The skip list, printed with the suite's output.
  const lines = Object.entries(DRIVERS).flatMap(([name, skips]) => skips.map((skip) => `${name} skips ${skip.case}: ${skip.reason}`));
  for (const line of lines) t.diagnostic(`conformance: ${line}`);
});

for (const protocol of PROTOCOLS) {
  describe(`driver ${protocol.name}`, () => {
    const skips = DRIVERS[protocol.name] ?? [];
    // Protocols with their own embedded server (session, voice) run the suite against it. A voice
    // agent's "token" is an audio delta: 20 of 20 ms each, first audio 30 ms after the end of speech.
    const target = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1, ndjsonCompletions: protocol.name === "ndjson" });
    for (const conformance of CASES) {
      const skip = skips.find((s) => s.case === conformance.name);
      test(`${conformance.name}: ${conformance.title}`, skip ? { skip: skip.reason } : {}, () => conformance.run(protocol, target));
    }
  });
}

describe("end markers", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1, length: 10, seed: 2 });

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
