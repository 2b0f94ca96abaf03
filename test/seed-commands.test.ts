// The command lines users bring from the tools tokenstorm replaces, typed unchanged apart from the
// program name, against the embedded emulator:
// - the load-test Makefile's `load-test-queue` and `load-test-quick` lines and the "Direct CLI Usage"
//   queue-stress and chaos commands (`--concurrent N`, `--prompts short medium`, backslash-continued);
// - the voice gateway guide's `-s light -u 6 --ramp-up 6 -d 14`, where -d is the hold: 14 s at 6 users.
// The queue-stress and chaos lines run to their end (500 requests each, about 20-25 s). The quick line
// runs 120 s: it is interrupted with Ctrl-C after a few seconds, and its partial report shows it started
// with the line's settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLI, collect, runCli, startCli, tempDir, type CliResult } from "./helpers/cli.js";
import type { Report } from "../src/report/types.js";

/** The one report a run saved under ./tokenstorm-results/<time>/ in `dir`. */
function savedReport(dir: string): Report {
  const runs = readdirSync(join(dir, "tokenstorm-results"));
  assert.equal(runs.length, 1, runs.join(", "));
  return JSON.parse(readFileSync(join(dir, "tokenstorm-results", runs[0]!, "report.json"), "utf8")) as Report;
}

/** Runs a shell script in which `tokenstorm` is the built CLI, as the seed's lines are typed. */
function shellRun(script: string, cwd: string, timeoutMs: number): Promise<CliResult> {
  const program = `tokenstorm() { "${process.execPath}" "${CLI}" "$@"; }\n${script}`;
  const child = spawn("bash", ["-c", program], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, timeoutMs);
}

/** Resolves once a request has finished: the run's raw NDJSON under ./tokenstorm-results/ has a line. */
function firstRequestDone(dir: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      try {
        const [run] = readdirSync(join(dir, "tokenstorm-results"));
        if (run !== undefined && statSync(join(dir, "tokenstorm-results", run, "requests.ndjson")).size > 0) return resolve();
      } catch {
        // not started yet
      }
      setTimeout(check, 100);
    };
    check();
  });
}

// Verbatim from the seed, the program (`./venv/bin/python high_performance_load_tester.py`) renamed.
const DIRECT_QUEUE_STRESS = `tokenstorm run \\
    --pattern constant \\
    --rps 25.0 \\
    --concurrent 100 \\
    --requests 500 \\
    --prompts short medium`;
const DIRECT_CHAOS = `tokenstorm run \\
    --pattern chaos \\
    --rps 20.0 \\
    --concurrent 90 \\
    --requests 500 \\
    --burst-size 30 \\
    --prompts short medium long`;
// The Makefile's lines, `$(PYTHON) high_performance_load_tester.py` renamed.
const MAKE_QUEUE = "--pattern constant --rps 25.0 --concurrent 100 --requests 500 --prompts short medium";
const MAKE_QUICK = "--pattern constant --rps 40.0 --concurrent 60 --duration 120 --prompts short";

test("the Makefile's load-test-queue line is the Direct CLI queue-stress command's arguments", () => {
  const direct = DIRECT_QUEUE_STRESS.replace(/\\\n\s*/g, "").split(/\s+/).slice(2);
  assert.deepEqual(direct, MAKE_QUEUE.split(" "));
});

test("queue stress and chaos, as typed: 500 requests each, all successful, with the lines' settings", async () => {
  const [queueDir, chaosDir] = [tempDir(), tempDir()];
  const [queue, chaos] = await Promise.all([shellRun(DIRECT_QUEUE_STRESS, queueDir, 180_000), shellRun(DIRECT_CHAOS, chaosDir, 180_000)]);
  assert.equal(queue.code, 0, queue.stderr);
  assert.equal(chaos.code, 0, chaos.stderr);
  const queueReport = savedReport(queueDir);
  assert.deepEqual([queueReport.summary.requests, queueReport.summary.successful], [500, 500]);
  assert.equal(queueReport.config["maxConcurrent"], 100, "--concurrent is the cap on requests in flight");
  assert.deepEqual(queueReport.config["prompts"], ["short", "medium"]);
  assert.deepEqual(Object.keys(queueReport.by_type).sort(), ["medium", "short"]);
  assert.match(String(queueReport.config["load_model"]), /^constant: 25 requests\/s/);
  const chaosReport = savedReport(chaosDir);
  assert.deepEqual([chaosReport.summary.requests, chaosReport.summary.successful], [500, 500]);
  assert.equal(chaosReport.config["maxConcurrent"], 90);
  assert.deepEqual(chaosReport.config["prompts"], ["short", "medium", "long"]);
  assert.match(String(chaosReport.config["load_model"]), /chaos/);
  assert.match(String(chaosReport.config["load_model"]), /30/);
});

test("load-test-quick (a 2-minute line): started with its settings, interrupted after 4 s, partial report", async () => {
  const dir = tempDir();
  const child = startCli(["run", ...MAKE_QUICK.split(" ")], { cwd: dir });
  const result = collect(child, 60_000);
  // Interrupted 4 s after requests started finishing.
  await firstRequestDone(dir);
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  child.kill("SIGINT");
  const { code } = await result;
  assert.equal(code, 1, "an interrupted run exits 1");
  const report = savedReport(dir);
  assert.equal(report.summary.interrupted, true);
  assert.ok(report.summary.requests > 0 && report.summary.failed === 0, JSON.stringify(report.summary));
  assert.equal(report.config["maxConcurrent"], 60);
  assert.equal(report.config["durationS"], 120);
  assert.deepEqual(report.config["prompts"], ["short"]);
  assert.match(String(report.config["load_model"]), /^constant: 40 requests\/s/);
});

test("voice gateway: -s light -u 6 --ramp-up 6 -d 14 holds 6 users for 14 s (20 s in all); the HTML says so", async () => {
  const dir = tempDir();
  // `tokenstorm run --protocol grpc-voice` stands for the guide's `python load_test.py`.
  const result = await runCli(["run", "--protocol", "grpc-voice", "-s", "light", "-u", "6", "--ramp-up", "6", "-d", "14"], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  const report = savedReport(dir);
  assert.deepEqual(report.config["stages"], { users: 6, rampUpS: 6, holdS: 14, rampDownS: 0 });
  assert.equal(report.config["durationS"], 20);
  assert.match(String(report.config["load_model"]), /^staged: 6 users, ramp-up 6s, hold 14s, ramp-down 0s/);
  // Issuing stops at 20 s; a turn in flight may finish after (a voice turn is a few seconds).
  assert.ok(report.summary.duration_s >= 20 && report.summary.duration_s < 35, `ran ${report.summary.duration_s}s`);
  const fullSeconds = report.timeline.filter((point) => point.active_users === 6).length;
  assert.ok(fullSeconds >= 13 && fullSeconds <= 16, `6 users active in ${fullSeconds} one-second points`);
  assert.equal(report.summary.failed, 0, JSON.stringify(report.errors));
  const runs = readdirSync(join(dir, "tokenstorm-results"));
  const html = await runCli(["report", join("tokenstorm-results", runs[0]!, "report.json"), "--html", "report.html"], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(html.code, 0, html.stderr);
  const page = readFileSync(join(dir, "report.html"), "utf8");
  assert.match(page, /hold 14s/);
  assert.doesNotMatch(page, /hold 120s/);
});
