// HTTP/2 on loopback: `run --http2` multiplexes its streams on --max-connections connections, and the
// emulator (`--http2`) counts the connections and HTTP/2 sessions it accepted. Over TLS the protocol
// is chosen by ALPN and HTTP/1.1 clients are still served; without TLS both sides speak HTTP/2 from
// the first byte (prior knowledge, h2c).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { runLoadTest } from "../src/engine/load-test.js";
import type { Report } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";

const dir = tempDir();
const file = (name: string): string => join(dir, name);
const pem = (name: string): string => readFileSync(file(name), "utf8");

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

before(() => {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tokenstorm test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
});

const LENGTH = 20;
/** Long enough a first token that 200 streams started together are all running at once. */
const TIMING = { ttftMs: 400, itlMs: 5, length: LENGTH, warmUp: false, seed: 5, voice: { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 600, pace: 20 } };

async function run(target: string, flags: RawRunFlags): Promise<Report> {
  const config = resolveRunConfig({ target, cycles: "1", length: String(LENGTH), quiet: true, save: false, ...flags }, {});
  return (await runLoadTest({ config })).report;
}

describe("HTTP/2 over TLS (ALPN), HTTP/1.1 beside it", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startEmulator({ port: 0, ...TIMING, http2: true, tls: { cert: pem("server.pem"), key: pem("server.key") } });
  });
  after(async () => {
    await emulator.close();
  });

  test("200 concurrent streams over 2 connections, counted by the emulator; token counts exact", async () => {
    emulator.resetStats();
    const report = await run(emulator.url, { clients: "200", maxConcurrent: "200", http2: true, maxConnections: "2", cacert: file("ca.pem") });
    const stats = emulator.stats();
    assert.equal(report.summary.successful, 200);
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 200 * LENGTH);
    assert.equal(report.summary.tokens_lost, 0);
    assert.equal(stats.tokensSent, 200 * LENGTH);
    assert.equal(report.connections.opened, 2);
    assert.equal(stats.connections, 2, "the emulator accepted 2 connections");
    assert.equal(stats.http2Sessions, 2, "both spoke HTTP/2");
    assert.equal(stats.activePeak, 200, "all 200 streams ran at once");
    assert.equal(report.latency.tls!.count, 2, "one TLS handshake per connection");
  });

  test("the realtime WebSocket upgrades on an HTTP/1.1 connection of the same server", async () => {
    const voice = { protocol: "realtime", cycles: undefined, clients: "2", requests: "2", simple: "1", tools: "0", interruptions: "0", falseAlarms: "0" } as RawRunFlags;
    const report = await run(emulator.url, { ...voice, cacert: file("ca.pem") });
    assert.ok(report.summary.requests > 0);
    assert.equal(report.summary.successful, report.summary.requests);
  });

  test("an HTTP/1.1 client is still served (ALPN falls back)", async () => {
    emulator.resetStats();
    const report = await run(emulator.url, { clients: "4", cacert: file("ca.pem") });
    const stats = emulator.stats();
    assert.equal(report.summary.successful, 4);
    assert.equal(report.summary.tokens_total, 4 * LENGTH);
    assert.equal(stats.connections, 4);
    assert.equal(stats.http2Sessions, 0);
  });
});

describe("HTTP/2 with prior knowledge (h2c) on http://", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startEmulator({ port: 0, ...TIMING, http2: true });
  });
  after(async () => {
    await emulator.close();
  });

  test("streams share the connections; the default is one connection per 100 streams in flight", async () => {
    emulator.resetStats();
    const report = await run(emulator.url, { clients: "150", maxConcurrent: "150", http2: true });
    const stats = emulator.stats();
    assert.equal(report.summary.successful, 150);
    assert.equal(report.summary.tokens_total, 150 * LENGTH);
    assert.equal(stats.connections, 2);
    assert.equal(stats.http2Sessions, 2);
    assert.equal(report.latency.tls?.count ?? 0, 0, "no TLS on http://");
  });

  test("--emulator-stats reads the emulator's own timing over h2c too: the report carries its block", async () => {
    const report = await run(emulator.url, { clients: "4", http2: true, emulatorStats: true });
    assert.equal(report.summary.successful, 4);
    assert.equal(report.emulator?.tokens_sent, 4 * LENGTH, "the emulator's tokens for the run, from its /stats over HTTP/2");
    assert.ok((report.emulator?.lateness.count ?? 0) >= 4 * LENGTH);
  });
});

describe("--http2 and --max-connections: bad input is one line naming the flag, exit 2", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["--http2 on a WebSocket protocol", ["run", "--protocol", "realtime", "--target", "http://127.0.0.1:9", "--http2"], /^tokenstorm: --http2 is for the HTTP streaming protocols/],
    ["--http2 against the embedded emulator", ["run", "--http2"], /^tokenstorm: --http2 needs --target/],
    ["--max-connections 0", ["run", "--target", "http://127.0.0.1:9", "--max-connections", "0"], /^tokenstorm: --max-connections must be a positive integer/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const result = await runCli([...args, "--no-save"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    });
  }
});
