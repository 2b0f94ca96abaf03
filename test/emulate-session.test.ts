// `tokenstorm emulate --session`: one emulator process serves the session protocol (POST /api/run,
// WebSocket /connection/websocket, POST /api/publish) beside the OpenAI, Ollama and NDJSON endpoints,
// so `run` of any protocol can point at the same emulator.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnEmulator, type EmulatorProcess } from "../src/emulator/process.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";

let emulator: EmulatorProcess;
before(async () => {
  emulator = await spawnEmulator(["--session", "--ttft-ms", "5", "--itl-ms", "2"]);
});
after(() => emulator.stop());

test("run --protocol session against emulate --session: every token delivered once, in order", async () => {
  const config = resolveRunConfig({ protocol: "session", target: emulator.url, clients: "4", cycles: "3", length: "10", delay: "0.002", quiet: true, save: false }, {});
  const { report, exitCode } = await runLoadTest({ config });
  assert.equal(exitCode, 0);
  assert.deepEqual([report.summary.requests, report.summary.successful], [12, 12]);
  assert.deepEqual(report.errors, {});
  assert.equal(report.summary.tokens_total, 120);
  assert.equal(report.summary.tokens_lost, 0);
});

test("the same emulator still serves the streaming endpoints, and /api/publish", async () => {
  for (const protocol of ["openai-chat", "ollama-generate"]) {
    const config = resolveRunConfig({ protocol, target: emulator.url, clients: "2", cycles: "2", length: "5", quiet: true, save: false }, {});
    const { report } = await runLoadTest({ config });
    assert.equal(report.summary.successful, 4, `${protocol}: ${JSON.stringify(report.errors)}`);
  }
  const published = await fetch(`${emulator.url}/api/publish`, { method: "POST", body: JSON.stringify({ channel: "session:nobody", data: { text: "hi" } }) });
  assert.equal(published.status, 200, await published.text());
});
