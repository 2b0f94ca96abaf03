// `tokenstorm run` end to end, as a user runs it: the default job, error injection, thresholds,
// unreachable targets, bad input and interruption.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { CLI, collect, runCli, startCli, tempDir } from "./helpers/cli.js";
import { spawnEmulator } from "../src/emulator/process.js";
import type { Report } from "../src/report/types.js";

function readJson(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `stack trace in output:\n${text}`);
}

/** An interrupted run ended with exit 1, no stack trace, and r.json marked interrupted: that report. */
async function interruptedReport(done: Promise<{ code: number | null; stderr: string }>, cwd: string): Promise<Report> {
  const result = await done;
  assert.equal(result.code, 1, result.stderr);
  assertNoStackTrace(result.stderr);
  const report = readJson(join(cwd, "r.json"));
  assert.equal(report.summary.interrupted, true);
  return report;
}

test("the default run: 10 clients x 5 cycles on the embedded emulator, 100 tokens each", async () => {
  const cwd = tempDir();
  const result = await runCli(["run", "--out", "r.json"], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const report = readJson(join(cwd, "r.json"));
  assert.equal(report.summary.requests, 50);
  assert.equal(report.summary.successful, 50);
  assert.equal(report.summary.failed, 0);
  assert.equal(report.summary.tokens_total, 5000);
  assert.equal(report.summary.tokens_source, "usage");
  assert.equal(report.summary.tokens_lost, 0);
  for (const metric of ["ttft", "itl", "e2e", "tpot"]) {
    const stats = report.latency[metric]!;
    for (const stat of ["count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"] as const) {
      assert.equal(typeof stats[stat], "number", `${metric}.${stat}`);
    }
  }
  assert.equal(report.latency.itl!.count, 50 * 99);
  // That the ITL centres on the 10 ms token delay is the timing suite's (test/timing/run-timing.test.ts).
  assert.ok(report.timeline.length >= 1);
  // Seed 000's console sections.
  for (const section of ["THROUGHPUT:", "REQUEST LATENCY (ms):", "TOKEN LATENCY (ms):", "CONNECTIONS:"]) {
    assert.match(result.stdout, new RegExp(section.replace(/[()]/g, "\\$&")));
  }
  // A copy of the results is kept unless --no-save.
  const saved = readdirSync(join(cwd, "tokenstorm-results"));
  assert.equal(saved.length, 1);
  assert.ok(existsSync(join(cwd, "tokenstorm-results", saved[0]!, "report.json")));
  const raw = readFileSync(join(cwd, "tokenstorm-results", saved[0]!, "requests.ndjson"), "utf8").trim().split("\n");
  assert.equal(raw.length, 50);
  assert.equal(JSON.parse(raw[0]!).ok, true);
});

test("error injection: about 20% fail, classified by status; a success-rate threshold exits 99", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "5", "--itl-ms", "1", "--length", "10", "--error-rate", "0.2", "--seed", "7"]);
  try {
    const cwd = tempDir();
    const args = ["run", "--target", emulator.url, "--clients", "20", "--cycles", "15", "--out", "r.json", "--csv", "r.csv", "--no-save", "--quiet"];
    const ok = await runCli(args, { cwd });
    assert.equal(ok.code, 0, ok.stderr);
    const report = readJson(join(cwd, "r.json"));
    assert.equal(report.summary.requests, 300);
    const failedShare = report.summary.failed / report.summary.requests;
    assert.ok(failedShare > 0.15 && failedShare < 0.25, `failed share ${failedShare}`);
    assert.equal(report.errors.http_500, report.summary.failed);
    assert.equal(readFileSync(join(cwd, "r.csv"), "utf8").trim().split("\n").length, 301);

    const gated = await runCli([...args, "--threshold", "success_rate>0.99", "--threshold", "ttft.p95<5s"], { cwd });
    assert.equal(gated.code, 99, gated.stderr);
    const gatedReport = readJson(join(cwd, "r.json"));
    assert.deepEqual(
      gatedReport.thresholds.map((t) => [t.expression, t.ok]),
      [
        ["success_rate>0.99", false],
        ["ttft.p95<5s", true],
      ],
    );
  } finally {
    await emulator.stop();
  }
});

test("a target that is not listening: every request refused, report written, exit 1 with the top error; --allow-failures or a threshold decide instead", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const cwd = tempDir();
  const args = ["run", "--target", `http://127.0.0.1:${port}`, "--clients", "3", "--cycles", "2", "--out", "r.json", "--no-save", "--quiet"];
  const result = await runCli(args, { cwd });
  assert.equal(result.code, 1, result.stderr);
  assertNoStackTrace(result.stderr + result.stdout);
  assert.deepEqual(result.stderr.trim().split("\n"), ["tokenstorm: no request succeeded: 6 of 6 failed, most as refused (6); --allow-failures accepts such a run"]);
  const report = readJson(join(cwd, "r.json"));
  assert.equal(report.summary.requests, 6);
  assert.equal(report.summary.failed, 6);
  assert.equal(report.errors.refused, 6);
  const allowed = await runCli([...args, "--allow-failures"], { cwd });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(allowed.stderr, "");
  const gated = await runCli([...args, "--threshold", "success_rate>=0"], { cwd });
  assert.equal(gated.code, 0, gated.stderr);
  const failedGate = await runCli([...args, "--threshold", "success_rate>0.5"], { cwd });
  assert.equal(failedGate.code, 99, failedGate.stderr);
});

test("bad input: one line naming the flag, exit 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "--clients", "abc"], /--clients must be a positive integer \(got "abc"\)/],
    [["run", "--threshold", "ttft.p95<<3"], /--threshold/],
    [["run", "--protocol", "smtp"], /--protocol: unknown protocol "smtp"/],
    [["run", "--target", "ftp://x"], /--target must be an http/],
    [["run", "--no-such-flag"], /unknown option '--no-such-flag'/],
    [["run", "--delay", "-1", "--length", "0"], /--length must be a positive integer.*; --delay must be|--delay must be.*; --length must be/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(args, {});
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
  const env = await runCli(["run"], { env: { NUM_CLIENTS: "many" } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /environment variable NUM_CLIENTS must be a positive integer/);
});

test("an unwritable --out or --html is one line naming the flag before the run starts, exit 2", async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, "afile"), "not a folder\n");
  for (const flag of ["--out", "--html", "--raw", "--csv"]) {
    const result = await runCli(["run", flag, "afile/x", "--quiet"], { cwd, timeoutMs: 20_000 });
    assert.equal(result.code, 2, `${flag}: ${result.stderr}`);
    assert.deepEqual(result.stderr.trim().split("\n"), [`tokenstorm: ${flag} afile/x: cannot write there (afile is a file, not a folder)`]);
    assert.equal(result.stdout, "", "nothing ran");
  }
  assert.deepEqual(readdirSync(cwd), ["afile"], "no results folder: the run never started");
});

test("--out that fails at the end: the report goes to the results folder, the user is told where, exit 1", async () => {
  const cwd = tempDir();
  const child = startCli(["run", "--duration", "3", "--clients", "2", "--out", "gone/r.json", "--raw", "raw.ndjson", "--no-save", "--quiet"], { cwd });
  const done = collect(child, 30_000);
  const rawPath = join(cwd, "raw.ndjson");
  for (let waited = 0; waited < 20_000 && !(existsSync(rawPath) && readFileSync(rawPath, "utf8").length > 0); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The folder checked at the start is replaced by a file while the run goes on.
  rmSync(join(cwd, "gone"), { recursive: true });
  writeFileSync(join(cwd, "gone"), "");
  const result = await done;
  assert.equal(result.code, 1, result.stderr);
  const line = /^tokenstorm: cannot write --out gone\/r\.json \((\w+)\); the report is in (.+)$/m.exec(result.stderr);
  assert.ok(line, result.stderr);
  assert.ok(line[2]!.startsWith(join("tokenstorm-results", "")), line[2]);
  const report = readJson(join(cwd, line[2]!));
  assert.ok(report.summary.successful > 0);
});

test("seed 000's environment variables set the defaults", async () => {
  const cwd = tempDir();
  const env = { NUM_CLIENTS: "3", CYCLES_PER_CLIENT: "2", RESPONSE_LENGTH_WORDS: "7", TOKEN_DELAY_SECONDS: "0.001" };
  const result = await runCli(["run", "--out", "r.json", "--no-save", "--quiet"], { cwd, env });
  assert.equal(result.code, 0, result.stderr);
  const report = readJson(join(cwd, "r.json"));
  assert.equal(report.summary.requests, 6);
  assert.equal(report.summary.tokens_total, 42);
});

test("Ctrl-C leaves a valid partial report and raw file", async () => {
  const cwd = tempDir();
  const child = startCli(["run", "--duration", "30", "--clients", "20", "--delay", "0.003", "--out", "r.json", "--raw", "raw.ndjson", "--no-save", "--quiet"], { cwd });
  // Watchdogs, not timing bounds: a machine busy with other work may take seconds to start the CLI.
  const done = collect(child, 120_000);
  // Interrupt once some requests have finished (their raw lines are on disk) and others are in flight.
  const rawPath = join(cwd, "raw.ndjson");
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (existsSync(rawPath) && readFileSync(rawPath, "utf8").split("\n").length > 5) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGINT");
  const report = await interruptedReport(done, cwd);
  assert.ok(report.summary.successful > 0);
  assert.equal(report.summary.failed, 0, "requests cut off by the stop are not failures");
  assert.ok(report.summary.cancelled > 0 && report.summary.cancelled <= 20);
  assert.equal(report.errors.cancelled, undefined);
  const lines = readFileSync(join(cwd, "raw.ndjson"), "utf8").trim().split("\n");
  assert.equal(lines.length, report.summary.requests + report.summary.cancelled);
  for (const line of lines) JSON.parse(line);
});

test("Ctrl-C during start-up (live outputs up, target still starting): exit 1 with the report of an interrupted run", async () => {
  const cwd = tempDir();
  const child = startCli(["run", "--prometheus-port", "0", "--out", "r.json", "--no-save", "--quiet"], { cwd });
  const done = collect(child, 30_000);
  // The metrics line comes before the embedded emulator and the driver warm-up have started.
  let stderr = "";
  await new Promise<void>((resolve) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("Prometheus metrics at")) resolve();
    });
  });
  child.kill("SIGINT");
  const report = await interruptedReport(done, cwd);
  assert.equal(report.summary.requests, 0, "no load is sent after the interruption");
});

test("--delay and --ttft reach an emulator running elsewhere", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "1", "--itl-ms", "1"]);
  try {
    const cwd = tempDir();
    const args = ["run", "--target", emulator.url, "--clients", "2", "--cycles", "2", "--length", "6", "--delay", "0.02", "--ttft", "0.05", "--out", "r.json", "--no-save", "--quiet"];
    const result = await runCli(args, { cwd });
    assert.equal(result.code, 0, result.stderr);
    const report = readJson(join(cwd, "r.json"));
    // The emulator's own 1 ms would be far below these: the run's --ttft and --delay reached it. How
    // close the figures come is the timing suite's (test/timing/run-timing.test.ts).
    assert.ok(report.latency.ttft!.min >= 49, `ttft ${JSON.stringify(report.latency.ttft)}`);
    // Six tokens, the first at 50 ms and then one every 20 ms on a drift-free schedule.
    assert.ok(report.latency.e2e!.min >= 50 + 5 * 20 - 1, `e2e ${JSON.stringify(report.latency.e2e)}`);
  } finally {
    await emulator.stop();
  }
});

test("--out -: the report JSON alone on stdout, so it pipes into a JSON reader; the console report on stderr", async () => {
  const cwd = tempDir();
  // The pipeline as users type it; pipefail makes either side's failure the exit status.
  const pipeline = `set -o pipefail; "${process.execPath}" "${CLI}" run --out - --quiet | "${process.execPath}" -e 'JSON.parse(require("fs").readFileSync(0))'`;
  const piped = await collect(spawn("bash", ["-c", pipeline], { cwd, stdio: ["ignore", "pipe", "pipe"] }), 60_000);
  assert.equal(piped.code, 0, piped.stderr);
  const result = await runCli(["run", "--out", "-", "--quiet", "--no-save", "--clients", "3", "--cycles", "1", "--concurrent", "2", "--prompts", "short", "long"], { cwd });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  assert.deepEqual([report.summary.requests, report.summary.successful], [3, 3]);
  assert.equal(report.config["maxConcurrent"], 2);
  assert.deepEqual(report.config["prompts"], ["short", "long"]);
  assert.match(result.stderr, /THROUGHPUT/, "the console report went to stderr");
  assert.equal(existsSync(join(cwd, "-")), false, "no file named -");
});

test("--concurrent and --max-concurrent are one setting: two values are a usage error", async () => {
  const result = await runCli(["run", "--concurrent", "3", "--max-concurrent", "4"], { timeoutMs: 20_000 });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim(), "tokenstorm: --max-concurrent and --concurrent are the same setting: give one of them");
});
