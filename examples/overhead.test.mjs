// Seed 004's performance regression test as a node:test file to copy into your own suite: a server
// emitting one token every 20 ms must deliver every token and add under 3 ms per token. Swap the
// emulator for your server (started in its test mode) to guard your own streaming pipeline.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { measureStreamingOverhead, startEmulator } from "../dist/src/index.js";

const FREQUENCY_MS = 20;
const MAX_PER_TOKEN_OVERHEAD_MS = 3;

let server;
before(async () => {
  server = await startEmulator({ port: 0, ttftMs: FREQUENCY_MS, itlMs: FREQUENCY_MS, ndjsonCompletions: true });
});
after(() => server.close());

test("streaming adds under 3 ms per token and loses no token", async () => {
  const result = await measureStreamingOverhead({ target: server.url, tokens: 100, frequencyMs: FREQUENCY_MS });
  assert.equal(result.tokenLoss, 0, `lost ${result.tokenLoss} of ${result.expectedTokens} tokens`);
  assert.ok(result.overheadMs < MAX_PER_TOKEN_OVERHEAD_MS, `overhead ${result.overheadMs.toFixed(2)} ms per token`);
});
