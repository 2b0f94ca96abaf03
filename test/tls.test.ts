// TLS end to end on loopback, with certificates this file makes with openssl: a CA, a server
// certificate for 127.0.0.1 / localhost signed by it, a client certificate signed by it, and a
// server certificate for another host. `emulate --tls-cert --tls-key` serves https://; a run trusts
// it with --cacert, fails every request as tls_untrusted without, passes with --insecure; an mTLS
// emulator (--tls-client-ca) refuses a client without --cert as tls_handshake and serves one with it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { runLoadTest } from "../src/engine/load-test.js";
import type { Report } from "../src/report/types.js";
import { collect, runCli, startCli, tempDir } from "./helpers/cli.js";

const dir = tempDir();
const file = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A key and a certificate signed by the test CA, with these extensions. */
function signed(name: string, subject: string, extensions: string): void {
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
  writeFileSync(file(`${name}.ext`), `${extensions}\n`);
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
}

before(() => {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tokenstorm test CA");
  signed("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  signed("client", "/CN=tokenstorm client", "extendedKeyUsage=clientAuth");
  signed("elsewhere", "/CN=elsewhere.test", "subjectAltName=DNS:elsewhere.test");
});

const FAST = ["--clients", "3", "--cycles", "2", "--length", "5", "--no-save", "--quiet"];

/** `tokenstorm emulate` as a child process; resolves with its https:// URL once it listens. */
async function startCliEmulator(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = startCli(["emulate", "--port", "0", "--ttft-ms", "5", "--itl-ms", "1", ...args]);
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${text}`)), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", () => reject(new Error(`the emulator exited: ${text}`)));
  });
  return { url, child };
}

/** A run through the CLI, its report read from standard output. */
async function cliRun(target: string, args: string[]): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runCli(["run", "--target", target, ...FAST, "--out", "-", ...args]);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

describe("emulate --tls-cert --tls-key: run --cacert, --insecure, and neither", () => {
  let emulator: { url: string; child: ChildProcess };
  before(async () => {
    emulator = await startCliEmulator(["--tls-cert", file("server.pem"), "--tls-key", file("server.key")]);
  });
  after(async () => {
    emulator.child.kill("SIGTERM");
    await collect(emulator.child, 10_000);
  });

  test("the emulator serves https://", () => {
    assert.match(emulator.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test("--cacert: every request passes; the TLS handshake is reported apart from the TCP connect", async () => {
    const { code, report } = await cliRun(emulator.url, ["--cacert", file("ca.pem"), "--emulator-stats"]);
    assert.equal(code, 0);
    assert.equal(report.summary.successful, 6);
    assert.equal(report.summary.tokens_total, 30);
    assert.equal(report.emulator?.tokens_sent, 30, "--emulator-stats read /stats over TLS with the same CA");
    assert.deepEqual(report.errors, {});
    const connect = report.latency.connect!;
    const tls = report.latency.tls!;
    assert.equal(connect.count, report.connections.opened);
    assert.equal(tls.count, report.connections.opened, "one handshake per new connection");
    assert.ok(tls.min > 0, `handshake ${tls.min} ms`);
  });

  test("without --cacert every request fails as tls_untrusted", async () => {
    const { code, report, stderr } = await cliRun(emulator.url, []);
    assert.equal(code, 1, stderr);
    assert.equal(report.summary.successful, 0);
    assert.deepEqual(report.errors, { tls_untrusted: 6 });
    assert.match(stderr, /tls_untrusted/);
  });

  test("--insecure: every request passes without the CA", async () => {
    const { code, report } = await cliRun(emulator.url, ["--insecure"]);
    assert.equal(code, 0);
    assert.equal(report.summary.successful, 6);
    assert.deepEqual(report.errors, {});
  });

  test("a threshold may name the new classes", async () => {
    const { code, report } = await cliRun(emulator.url, ["--threshold", "errors.tls_untrusted<1", "--allow-failures"]);
    assert.equal(code, 99);
    assert.equal(report.thresholds[0]!.ok, false);
  });
});

describe("mutual TLS and host names (emulator in this process)", () => {
  let mutual: RunningEmulator;
  let elsewhere: RunningEmulator;
  before(async () => {
    const pem = (name: string): string => readFileSync(file(name), "utf8");
    const common = { port: 0, ttftMs: 5, itlMs: 1, warmUp: false, seed: 3, voice: { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 600, pace: 20 } };
    mutual = await startEmulator({ ...common, tls: { cert: pem("server.pem"), key: pem("server.key"), clientCa: pem("ca.pem") } });
    elsewhere = await startEmulator({ ...common, tls: { cert: pem("elsewhere.pem"), key: pem("elsewhere.key") } });
  });
  after(async () => {
    await mutual.close();
    await elsewhere.close();
  });

  async function run(target: string, flags: RawRunFlags): Promise<Report> {
    const config = resolveRunConfig({ target, clients: "2", cycles: "2", length: "5", quiet: true, save: false, allowFailures: true, ...flags }, {});
    return (await runLoadTest({ config })).report;
  }

  test("a client without --cert is refused: every request fails as tls_handshake", async () => {
    const report = await run(mutual.url, { cacert: file("ca.pem") });
    assert.equal(report.summary.successful, 0);
    assert.deepEqual(report.errors, { tls_handshake: 4 });
  });

  test("--cert --key: the client certificate is accepted", async () => {
    const report = await run(mutual.url, { cacert: file("ca.pem"), cert: file("client.pem"), key: file("client.key") });
    assert.equal(report.summary.successful, 4);
    assert.equal(report.summary.tokens_total, 20);
    assert.deepEqual(report.errors, {});
  });

  test("a certificate for another host fails as tls_hostname; --insecure accepts it", async () => {
    const report = await run(elsewhere.url, { cacert: file("ca.pem") });
    assert.deepEqual(report.errors, { tls_hostname: 4 });
    const insecure = await run(elsewhere.url, { insecure: true });
    assert.equal(insecure.summary.successful, 4);
  });

  test("realtime over wss://: the same CA flags reach the WebSocket dial", async () => {
    const voice = { protocol: "realtime", cycles: undefined, requests: "2", simple: "1", tools: "0", interruptions: "0", falseAlarms: "0" } as RawRunFlags;
    const trusted = await run(mutual.url, { ...voice, cacert: file("ca.pem"), cert: file("client.pem"), key: file("client.key") });
    assert.equal(trusted.summary.successful, trusted.summary.requests);
    assert.ok(trusted.summary.requests > 0);
    const untrusted = await run(mutual.url, { ...voice, cert: file("client.pem"), key: file("client.key") });
    assert.equal(untrusted.summary.successful, 0);
    assert.deepEqual(Object.keys(untrusted.errors), ["tls_untrusted"]);
  });
});

describe("grpc-voice over grpcs:// (the emulator's gRPC gateway with the same certificate)", () => {
  let emulator: RunningEmulator;
  before(async () => {
    const pem = (name: string): string => readFileSync(file(name), "utf8");
    const voice = { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 600, pace: 20 };
    emulator = await startEmulator({ port: 0, grpcPort: 0, warmUp: false, seed: 3, voice, tls: { cert: pem("server.pem"), key: pem("server.key") } });
  });
  after(async () => {
    await emulator.close();
  });

  async function run(flags: RawRunFlags): Promise<Report> {
    const config = resolveRunConfig({ protocol: "grpc-voice", target: emulator.grpcUrl!, clients: "2", requests: "2", simple: "1", tools: "0", interruptions: "0", falseAlarms: "0", quiet: true, save: false, allowFailures: true, ...flags } as RawRunFlags, {});
    return (await runLoadTest({ config })).report;
  }

  test("--cacert: the conversations pass; without it they fail as tls_untrusted", async () => {
    assert.match(emulator.grpcUrl!, /^grpcs:\/\//);
    const trusted = await run({ cacert: file("ca.pem") });
    assert.ok(trusted.summary.requests > 0);
    assert.equal(trusted.summary.successful, trusted.summary.requests);
    const untrusted = await run({});
    assert.equal(untrusted.summary.successful, 0);
    assert.deepEqual(Object.keys(untrusted.errors), ["tls_untrusted"]);
  });
});

describe("TLS flags: bad input is one line naming the flag, exit 2", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["--cert without --key", ["run", "--target", "https://127.0.0.1:9", "--cert", "client.pem"], /^tokenstorm: --cert needs --key/],
    ["an unreadable --cacert", ["run", "--target", "https://127.0.0.1:9", "--cacert", "missing.pem"], /^tokenstorm: --cacert: cannot read missing\.pem: ENOENT/],
    ["a --cacert that is no certificate", ["run", "--target", "https://127.0.0.1:9", "--cacert", "client.key"], /^tokenstorm: --cacert: .*no usable PEM certificate/],
    ["a key that is not the certificate's", ["run", "--target", "https://127.0.0.1:9", "--cert", "client.pem", "--key", "server.key"], /^tokenstorm: --cert\/--key: /],
    ["emulate --tls-cert without --tls-key", ["emulate", "--tls-cert", "server.pem"], /^tokenstorm: --tls-cert needs --tls-key/],
    ["emulate with an unreadable --tls-client-ca", ["emulate", "--tls-cert", "server.pem", "--tls-key", "server.key", "--tls-client-ca", "missing.pem"], /^tokenstorm: --tls-client-ca: cannot read missing\.pem/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const result = await runCli([...args, "--no-save"].filter((arg) => !(args[0] === "emulate" && arg === "--no-save")), { cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    });
  }
});
