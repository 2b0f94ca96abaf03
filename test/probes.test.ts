// The hostile-user probes of issue 15, kept: signals sent to runs that used to ignore them, bad flags,
// and seeded fuzzing of YAML config files and threshold expressions. Every input either runs or is
// refused with exit 2 and one line per problem, never a stack trace or a hang; every interrupted run
// writes its report. The mutations come from a fixed seed, so a failure replays. (The hostile-server
// modes are in hostile-target.test.ts.)
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { Command } from "commander";
import { configKeysOf } from "../src/cli/run-flags.js";
import { loadRunConfigFile } from "../src/cli/run-config-file.js";
import { registerRunCommand } from "../src/cli/run.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { UsageError } from "../src/errors.js";
import { mulberry32 } from "../src/random.js";
import { evaluateThresholds, parseThreshold } from "../src/report/thresholds.js";
import type { Report } from "../src/report/types.js";
import { collect, runCli, startCli, tempDir, type CliResult } from "./helpers/cli.js";
import { sampleReport } from "./helpers/sample-report.js";

const SEED = 15;

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+|\bat (async )?[\w.<>]+ \(.+:\d+:\d+\)/, `stack trace in output:\n${text}`);
}

/** Refused as a user error: exit 2, something said, no stack trace. */
function assertRefused(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assertNoStackTrace(result.stderr);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A process interrupted while running: its exit and its report. */
/**
 * A process interrupted `afterMs` into its run (once --verbose said the run starts, so that the
 * signal is not one sent during start-up): its exit and its report.
 */
async function interrupt(args: string[], signal: NodeJS.Signals, afterMs: number, killAfterMs = 90_000): Promise<{ result: CliResult; report: Report | null; stoppedInMs: number }> {
  const cwd = tempDir();
  const child = startCli([...args, "--out", "r.json", "--no-save", "--quiet", "--verbose"], { cwd });
  const started = new Promise<void>((resolve) => {
    let said = "";
    child.stderr!.on("data", (data: Buffer) => {
      said += data.toString();
      if (/; protocol \S+ -> /.test(said)) resolve();
    });
  });
  const done = collect(child, killAfterMs);
  await Promise.race([started, done]);
  await sleep(afterMs);
  const signalledAt = Date.now();
  child.kill(signal);
  const result = await done;
  const path = join(cwd, "r.json");
  return { result, report: existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Report) : null, stoppedInMs: Date.now() - signalledAt };
}

describe("signals", () => {
  test("a rate the machine cannot carry still ends at its duration, every arrival counted", async () => {
    const cwd = tempDir();
    const result = await runCli(["run", "--pattern", "constant", "--rps", "1e9", "--duration", "1", "--max-concurrent", "10", "--length", "3", "--delay", "0.001", "--out", "r.json", "--no-save", "--quiet"], { cwd, timeoutMs: 60_000 });
    // A cap of 10 in flight: how many arrivals a fast machine sends before the cap is reached does not
    // decide whether any are dropped.
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.ok(report.summary.dropped > 0, JSON.stringify(report.summary));
    assert.equal(report.arrivals!.count, report.summary.requests + report.summary.dropped);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} stops a run at 1e9 requests/s and leaves its report`, async () => {
      const { result, report, stoppedInMs } = await interrupt(
        ["run", "--pattern", "constant", "--rps", "1e9", "--duration", "600", "--length", "3", "--delay", "0.001"],
        signal,
        2_000,
      );
      assert.equal(result.code, 1, result.stderr);
      assertNoStackTrace(result.stderr);
      assert.ok(report, "the report was written");
      assert.equal(report.summary.interrupted, true);
      assert.ok(stoppedInMs < 30_000, `stopped ${stoppedInMs} ms after ${signal}`);
    });
  }

  for (const protocol of ["realtime", "session"]) {
    test(`Ctrl-C while every ${protocol} WebSocket handshake waits for an answer that never comes: the report is written`, async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = silent.address() as { port: number };
        // Limits far beyond the test: only the interruption can end these dials.
        const { result, report, stoppedInMs } = await interrupt(
          ["run", "--protocol", protocol, "--target", `http://127.0.0.1:${port}`, "--clients", "3", "--duration", "300", "--handshake-timeout", "300", "--connect-timeout", "300"],
          "SIGINT",
          1_500,
        );
        assert.equal(result.code, 1, result.stderr);
        assertNoStackTrace(result.stderr);
        assert.ok(report, `the report was written (stderr: ${result.stderr})`);
        assert.equal(report.summary.interrupted, true);
        assert.equal(report.summary.failed, 0, "dials cut off by the stop are not failures");
        assert.ok(stoppedInMs < 20_000, `stopped ${stoppedInMs} ms after SIGINT`);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  }
});

describe("bad flags", () => {
  test("a header carrying CR or LF is refused, naming --header", async () => {
    assertRefused(await runCli(["run", "--header", "X-A: b\r\nInjected: 1"], { timeoutMs: 10_000 }), /--header X-A: the value must not contain control characters/);
    assertRefused(await runCli(["run", "--header", "X-A: b\nI: 1"], { timeoutMs: 10_000 }), /--header X-A/);
  });

  test("the new bounds are checked like every other flag", async () => {
    assertRefused(await runCli(["run", "--max-line-bytes", "0"], { timeoutMs: 10_000 }), /--max-line-bytes must be a positive integer/);
    assertRefused(await runCli(["run", "--handshake-timeout", "-1"], { timeoutMs: 10_000 }), /--handshake-timeout must be/);
    assertRefused(await runCli(["emulate", "--max-request-tokens", "0"], { timeoutMs: 10_000 }), /--max-request-tokens must be an integer >= 1/);
  });
});

/** A seeded mutator of text: each call applies one to three edits a hostile user might make. */
function mutator(seed: number, alphabet: readonly string[], values: readonly string[]): (text: string) => string {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const at = (text: string): number => Math.floor(random() * (text.length + 1));
  const edits: Array<(text: string) => string> = [
    (text) => {
      const i = at(text);
      return text.slice(0, i) + text.slice(i + 1);
    },
    (text) => {
      const i = at(text);
      return text.slice(0, i) + pick(alphabet) + text.slice(i);
    },
    (text) => {
      const i = at(text);
      return text.slice(0, i) + pick(values) + text.slice(i + 1 + Math.floor(random() * 4));
    },
    (text) => {
      const lines = text.split("\n");
      const i = Math.floor(random() * lines.length);
      const j = Math.floor(random() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    },
    (text) => {
      const lines = text.split("\n");
      const i = Math.floor(random() * lines.length);
      lines.splice(i, random() < 0.5 ? 1 : 0, lines[Math.floor(random() * lines.length)]!);
      return lines.join("\n");
    },
    (text) => text.slice(0, at(text)),
  ];
  return (text) => {
    let mutated = text;
    const count = 1 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) mutated = pick(edits)(mutated);
    return mutated;
  };
}

const BASE_CONFIG = `protocol: openai-chat
clients: 3
cycles: 2
max-concurrent: 5
length: 4
delay: 0.001
prompts: short
threshold:
  - ttft.p95<2500ms
  - success_rate>0.5
header:
  - 'X-Probe: 1'
scenarios:
  quick:
    clients: 2
    cycles: 1
  open:
    pattern: constant
    rps: 20
    duration: 1
scenario: quick
`;

const YAML_ALPHABET = [":", "-", " ", "\t", "'", '"', "{", "}", "[", "]", "&a", "*a", "!!binary", "|", ">", "#", "\n", "\r", "\0", "é", "%", "@", "`", "9", "?", ",", "<<: *a", "\\u0000"];
const HOSTILE_VALUES = ["-1", "0", "1e309", "NaN", ".inf", "1e9", "0x10", "99999999999999999999", "0.0000001", "''", "~", "[]", "{}", "true", "null", "-0", "__proto__", "constructor", "'X: a\\r\\nB: c'", "\"\\r\\n\"", "x".repeat(300)];

function runKeys() {
  const program = new Command();
  registerRunCommand(program);
  return configKeysOf(program.commands.find((command) => command.name() === "run")!);
}

describe("fuzzed YAML config files", () => {
  const keys = runKeys();
  const mutate = mutator(SEED, YAML_ALPHABET, HOSTILE_VALUES);
  const cases = Array.from({ length: 200 }, () => mutate(BASE_CONFIG));

  test("200 mutations: each is loaded or refused with a UsageError, one line per problem", () => {
    const dir = tempDir();
    const path = join(dir, "run.yaml");
    let refused = 0;
    cases.forEach((text, index) => {
      writeFileSync(path, text);
      try {
        const merged = loadRunConfigFile(path, {}, keys, {});
        resolveRunConfig(merged.flags, {});
      } catch (err) {
        if (!(err instanceof UsageError)) assert.fail(`case ${index}: ${String((err as Error).stack)}\n--- input ---\n${text}`);
        for (const line of err.message.split("\n")) assert.ok(line.trim().length > 0, `case ${index}: empty line in ${JSON.stringify(err.message)}`);
        refused++;
      }
    });
    // The mutations are meant to break things, not all of them.
    assert.ok(refused > 20 && refused < 200, `refused ${refused} of 200`);
  });

  test("a sample through the command line: runs, or exit 2 without a stack trace", async () => {
    const dir = tempDir();
    for (const [index, text] of cases.slice(0, 8).entries()) {
      const path = join(dir, `run-${index}.yaml`);
      writeFileSync(path, text);
      const result = await runCli(["run", "--config", path, "--requests", "2", "--length", "2", "--delay", "0", "--timeout", "10", "--no-save", "--quiet"], { cwd: dir, timeoutMs: 60_000 });
      assert.ok([0, 2, 99].includes(result.code ?? -1), `case ${index}: exit ${result.code}\n${result.stderr}\n--- input ---\n${text}`);
      assertNoStackTrace(result.stderr);
      if (result.code === 2) assert.ok(result.stderr.trim().length > 0);
    }
  });
});

describe("fuzzed threshold expressions", () => {
  const bases = ["ttft.p95<2500ms", "success_rate>0.99", "tokens_per_sec>=1000", "e2e.p99<3s", "itl.mean<=20ms", "overhead.mean<3ms", "tpot.p50!=0", "requests_per_sec>1"];
  const alphabet = ["<", ">", "=", "!", ".", "p", "9", "e", "-", "ms", "s", " ", "%", "\n", "NaN", "Infinity", "1e400", "µs", "__proto__", "constructor", "toString", "_", "0x", "+"];
  const mutate = mutator(SEED + 1, alphabet, HOSTILE_VALUES);
  const random = mulberry32(SEED + 2);
  const cases = Array.from({ length: 200 }, () => mutate(bases[Math.floor(random() * bases.length)]!));

  test("200 mutations: each parses and evaluates, or is one UsageError line", () => {
    const report = sampleReport();
    let refused = 0;
    cases.forEach((expression, index) => {
      let threshold;
      try {
        threshold = parseThreshold(expression);
      } catch (err) {
        if (!(err instanceof UsageError)) assert.fail(`case ${index} ${JSON.stringify(expression)}: ${String((err as Error).stack)}`);
        assert.equal(err.message.split("\n").length, 1, `case ${index}: ${JSON.stringify(err.message)}`);
        refused++;
        return;
      }
      const [result] = evaluateThresholds([threshold], report);
      assert.equal(typeof result!.ok, "boolean", `case ${index} ${JSON.stringify(expression)}`);
      assert.ok(result!.actual === null || typeof result!.actual === "number", `case ${index} ${JSON.stringify(expression)}: actual ${String(result!.actual)}`);
    });
    assert.ok(refused > 20 && refused < 200, `refused ${refused} of 200`);
  });

  test("a sample through the command line: judged (0 or 99), or exit 2 in one line", async () => {
    for (const [index, expression] of cases.slice(0, 6).entries()) {
      const result = await runCli(["run", "--requests", "2", "--length", "2", "--delay", "0", "--threshold", expression, "--no-save", "--quiet"], { timeoutMs: 60_000 });
      assert.ok([0, 2, 99].includes(result.code ?? -1), `case ${index} ${JSON.stringify(expression)}: exit ${result.code}\n${result.stderr}`);
      assertNoStackTrace(result.stderr);
      if (result.code === 2) assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });
});
