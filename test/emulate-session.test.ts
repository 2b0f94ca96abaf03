// `tokenstorm emulate --session`: one emulator process serves the session protocol (POST /api/run,
// WebSocket /connection/websocket, POST /api/publish) beside the OpenAI, Ollama and NDJSON endpoints,
// so `run` of any protocol can point at the same emulator.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnEmulator, type EmulatorProcess } from "../src/emulator/process.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { startEmulator } from "../src/index.js";
import { runCli } from "./helpers/cli.js";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

const KEY_VARIABLE = "TOKENSTORM_TEST_SESSION_SHARED_KEY";
const KEY_ENV = { [KEY_VARIABLE]: "shared-session-key" };
let emulator: EmulatorProcess;
before(async () => {
  process.env[KEY_VARIABLE] = KEY_ENV[KEY_VARIABLE];
  emulator = await spawnEmulator(["--session", "--api-key-env", KEY_VARIABLE, "--ttft-ms", "5", "--itl-ms", "2"]);
});
after(async () => {
  await emulator.stop();
  delete process.env[KEY_VARIABLE];
});

test("run --protocol session against emulate --session: every token delivered once, in order", async () => {
  const config = resolveRunConfig({ protocol: "session", target: emulator.url, apiKeyEnv: KEY_VARIABLE, clients: "4", cycles: "3", length: "10", delay: "0.002", quiet: true, save: false }, KEY_ENV);
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
  const published = await fetch(`${emulator.url}/api/publish`, { method: "POST", headers: { "x-api-key": KEY_ENV[KEY_VARIABLE] }, body: JSON.stringify({ channel: "session:nobody", data: { text: "hi" } }) });
  assert.equal(published.status, 200, await published.text());
});

test("emulate --session --api-key-env: /api/run and /api/publish take the key, 401 without; run --api-key-env sends it", async () => {
  process.env["TOKENSTORM_TEST_SESSION_KEY"] = "session-test-key";
  const keyed = await spawnEmulator(["--session", "--api-key-env", "TOKENSTORM_TEST_SESSION_KEY", "--ttft-ms", "5", "--itl-ms", "2"]);
  try {
    const publish = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${keyed.url}/api/publish`, { method: "POST", headers, body: JSON.stringify({ channel: "session:nobody", data: { text: "hi" } }) });
    assert.equal((await publish({})).status, 401);
    assert.equal((await publish({ "x-api-key": "wrong" })).status, 401);
    assert.equal((await publish({ "x-api-key": "session-test-key" })).status, 200);
    assert.equal((await publish({ authorization: "apikey session-test-key" })).status, 200);

    const withKey = resolveRunConfig({ protocol: "session", target: keyed.url, apiKeyEnv: "TOKENSTORM_TEST_SESSION_KEY", clients: "2", cycles: "2", length: "5", quiet: true, save: false }, process.env);
    const ok = await runLoadTest({ config: withKey });
    assert.deepEqual([ok.report.summary.requests, ok.report.summary.successful], [4, 4], JSON.stringify(ok.report.errors));
    const withoutKey = resolveRunConfig({ protocol: "session", target: keyed.url, clients: "2", cycles: "1", length: "5", quiet: true, save: false, allowFailures: true }, {});
    const refused = await runLoadTest({ config: withoutKey });
    assert.equal(refused.report.summary.successful, 0, "no session starts without the key");
    assert.equal(refused.report.summary.failed, 2);
  } finally {
    await keyed.stop();
    delete process.env["TOKENSTORM_TEST_SESSION_KEY"];
  }
});

test("emulate --session without --api-key-env makes up a key, prints it, and /api/publish takes only that key", async () => {
  const child = spawn(process.execPath, [CLI, "emulate", "--port", "0", "--session"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no session line within 20 s: ${out}`)), 20_000);
      child.stdout!.on("data", (data: Buffer) => {
        out += data.toString();
        const found = out.split("\n").find((text) => text.startsWith("tokenstorm session gateway"));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    const [, url, key] = /API on (http:\/\/\S+)\/api\/run, API key ([0-9a-f]{32}) \(made up/.exec(line) ?? [];
    assert.ok(url && key, line);
    const publish = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${url}/api/publish`, { method: "POST", headers, body: JSON.stringify({ channel: "session:nobody", data: { text: "hi" } }) });
    assert.equal((await publish({})).status, 401);
    assert.equal((await publish({ authorization: `Bearer ${key}` })).status, 200);
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
});

test("the library's startEmulator with session and no key makes one up: /api/publish takes only emulator.sessionApiKey", async () => {
  const served = await startEmulator({ port: 0, session: true, warmUp: false });
  try {
    const key = served.sessionApiKey;
    assert.match(key ?? "", /^[0-9a-f]{32}$/);
    const publish = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${served.url}/api/publish`, { method: "POST", headers, body: JSON.stringify({ channel: "session:nobody", data: { text: "hi" } }) });
    assert.equal((await publish({})).status, 401);
    assert.equal((await publish({ authorization: "Bearer not-the-key" })).status, 401);
    assert.equal((await publish({ authorization: `Bearer ${key}` })).status, 200);
  } finally {
    await served.close();
  }
  const keyed = await startEmulator({ port: 0, session: true, sessionApiKey: "given-key", warmUp: false });
  const plain = await startEmulator({ port: 0, warmUp: false });
  try {
    assert.equal(keyed.sessionApiKey, "given-key");
    assert.equal(plain.sessionApiKey, null);
  } finally {
    await Promise.all([keyed.close(), plain.close()]);
  }
});

test("emulate --api-key-env without --session, or naming an unset variable, is one line naming the flag, exit 2", async () => {
  for (const args of [["--api-key-env", "HOME"], ["--session", "--api-key-env", "TOKENSTORM_TEST_UNSET_VARIABLE"]]) {
    const result = await runCli(["emulate", "--port", "0", ...args]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /--api-key-env/);
  }
});
