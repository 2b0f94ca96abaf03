// Seed 004's streaming-overhead check, `tokenstorm overhead` and measureStreamingOverhead, against
// emulators on loopback: the embedded run passes, a slow pipeline and lost tokens fail with exit 99,
// an unreachable server is a failed run, and bad flags are usage errors naming the flag.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { overheadCommand, registerOverheadCommand, type OverheadIo } from "../src/cli/overhead.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/index.js";
import { ExitCode, RunError, UsageError } from "../src/errors.js";
import { resolveOverheadConfig } from "../src/overhead/config.js";
import { measureStreamingOverhead } from "../src/overhead/measure.js";
import { tempDir } from "./helpers/cli.js";
import { freePort } from "../src/cluster/processes.js";

interface Captured extends OverheadIo {
  out: string;
  err: string;
}

function captured(): Captured {
  const io: Captured = {
    out: "",
    err: "",
    stdout: { write: (text: string) => (io.out += text) },
    stderr: { write: (text: string) => (io.err += text) },
  };
  return io;
}

async function withEmulator<T>(options: EmulatorOptions, body: (emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ host: "127.0.0.1", port: 0, ...options });
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

test("no target: 500 tokens from the embedded emulator pass, under 0.5 ms overhead, no loss", async () => {
  const out = join(tempDir(), "overhead.json");
  const io = captured();
  const code = await overheadCommand({ tokens: "500", out }, io, {});
  assert.equal(code, ExitCode.ok, io.out + io.err);
  const report = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
  assert.equal(report.received_tokens, 500);
  assert.equal(report.expected_tokens, 500);
  assert.equal(report.token_loss, 0);
  assert.equal(report.passed, true);
  const overheadMs = report.overhead_ms as number;
  assert.ok(Math.abs(overheadMs) < 0.5, `overhead ${overheadMs} ms`);
  assert.equal((report.gaps_ms as { count: number }).count, 499);
  assert.equal((report.config as { embedded_emulator: boolean }).embedded_emulator, true);
  assert.match(io.out, /^StreamingMetrics\(\n {4}received_tokens=500,\n/);
  assert.match(io.out, /mean_receive_interval_ms=\d+\.\d\d,\n {4}throughput_tokens_per_second=\d+\.\d\d,\n\)\n/);
  assert.match(io.out, /^Overhead per token: -?\d+\.\d\dms$/m);
  assert.match(io.out, /^PASS: no token loss, overhead -?\d+\.\d\d ms per token <= 3 ms$/m);
  assert.match(io.err, /embedded emulator on http:\/\/127\.0\.0\.1:\d+/);
});

test("a pipeline adding 5 ms per token fails: passed false, exit 99, the message names the overhead", async () => {
  await withEmulator({ ttftMs: 20, itlMs: 20, extraDelayPerTokenMs: 5, ndjsonCompletions: true }, async (emulator) => {
    const result = await measureStreamingOverhead({ target: emulator.url, tokens: 20, frequencyMs: 20 });
    assert.equal(result.tokenLoss, 0);
    assert.ok(result.overheadMs! > 4 && result.overheadMs! < 6.5, `overhead ${result.overheadMs}`);
    assert.equal(result.passed(3), false);
    assert.match(result.failures(3).join("; "), /^overhead \d+\.\d\d ms per token > 3 ms$/);
    assert.equal(result.passed(10), true);

    const io = captured();
    const code = await overheadCommand({ target: emulator.url, tokens: "20", quiet: true }, io, {});
    assert.equal(code, ExitCode.thresholdFailed);
    assert.match(io.out, /^FAIL: overhead \d+\.\d\d ms per token > 3 ms$/m);
    assert.equal(io.err, "");
  });
});

test("a server that truncates its streams: token loss reported, the check fails", async () => {
  await withEmulator({ ttftMs: 5, itlMs: 5, ndjsonCompletions: true }, async (emulator) => {
    const result = await measureStreamingOverhead({
      target: emulator.url,
      tokens: 20,
      frequencyMs: 5,
      headers: { "x-tokenstorm-fail": "truncate" },
    });
    assert.equal(result.receivedTokens, 10);
    assert.equal(result.tokenLoss, 10);
    assert.equal(result.errors.truncated, 1);
    assert.equal(result.passed(3), false);
    assert.match(result.failures(3)[0]!, /^token loss: 10 of 20 tokens missing \(truncated: /);
  });
  await withEmulator({ ttftMs: 5, itlMs: 5, ndjsonCompletions: true, truncateRate: 1 }, async (emulator) => {
    const io = captured();
    const code = await overheadCommand({ target: emulator.url, tokens: "20", frequencyMs: "5", quiet: true }, io, {});
    assert.equal(code, ExitCode.thresholdFailed);
    assert.match(io.out, /^ {4}token_loss=[1-9]\d*,$/m);
    assert.match(io.out, /^FAIL: token loss: \d+ of 20 tokens missing/m);
  });
});

test("several streams at once: aggregate and worst stream, over both OpenAI protocols too", async () => {
  await withEmulator({ ttftMs: 5, itlMs: 5, ndjsonCompletions: true }, async (emulator) => {
    const result = await measureStreamingOverhead({ target: emulator.url, tokens: 10, frequencyMs: 5, concurrency: 4 });
    assert.equal(result.concurrency, 4);
    assert.equal(result.receivedTokens, 40);
    assert.equal(result.expectedTokens, 40);
    assert.equal(result.gaps.count, 36);
    assert.equal(result.worstStream.receivedTokens, 10);
    assert.ok(result.worstStream.overheadMs! >= result.overheadMs!);
    assert.equal(result.passed(3), true, result.failures(3).join("; "));
  });
  await withEmulator({ ttftMs: 5, itlMs: 5 }, async (emulator) => {
    for (const protocol of ["openai-completions", "openai-chat"] as const) {
      const result = await measureStreamingOverhead({ target: emulator.url, tokens: 10, frequencyMs: 5, protocol, concurrency: 2 });
      assert.equal(result.receivedTokens, 20, protocol);
      assert.equal(result.passed(3), true, `${protocol}: ${result.failures(3).join("; ")}`);
    }
  });
});

test("no stream answered: the run could not be carried out (RunError, exit 1)", async () => {
  const port = await freePort("127.0.0.1");
  await assert.rejects(measureStreamingOverhead({ target: `http://127.0.0.1:${port}`, tokens: 2, frequencyMs: 1 }), (err: Error) => {
    assert.ok(err instanceof RunError);
    assert.match(err.message, /refused/);
    return true;
  });
  await withEmulator({ ttftMs: 1, itlMs: 1, ndjsonCompletions: true }, async (emulator) => {
    const failing = measureStreamingOverhead({ target: emulator.url, tokens: 2, frequencyMs: 1, headers: { "X-Tokenstorm-Fail": "503" } });
    await assert.rejects(failing, (err: Error) => err instanceof RunError && /http_503/.test(err.message));
  });
});

test("bad flags: one UsageError naming every bad flag", async () => {
  const io = captured();
  await assert.rejects(overheadCommand({ tokens: "many", frequencyMs: "-1", protocol: "grpc", target: "ftp://x" }, io, {}), (err: Error) => {
    assert.ok(err instanceof UsageError);
    assert.doesNotMatch(err.message, /\n/);
    for (const flag of ["--tokens", "--frequency-ms", "--protocol", "--target"]) assert.match(err.message, new RegExp(flag));
    return true;
  });
  assert.throws(() => resolveOverheadConfig({ tokens: "1" }, {}), /--tokens must be an integer >= 2/);
  assert.throws(() => resolveOverheadConfig({ concurrency: "0", maxOverheadMs: "x" }, {}), /--max-overhead-ms .*; --concurrency /);
  assert.throws(() => resolveOverheadConfig({}, { TEST_RUNNER_FREQUENCY_MS: "fast" }), /environment variable TEST_RUNNER_FREQUENCY_MS/);
  assert.equal(io.out + io.err, "");

  // The library names its own options.
  await assert.rejects(measureStreamingOverhead({ target: "not a url", tokens: 1, frequencyMs: 20 }), /target must be .*; tokens must be/);

  // Through commander, as main.ts runs it.
  const program = new Command().exitOverride().configureOutput({ outputError: () => undefined });
  registerOverheadCommand(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => undefined });
  await assert.rejects(program.parseAsync(["overhead", "--tokens", "x"], { from: "user" }), (err: Error) => err instanceof UsageError && /--tokens/.test(err.message));
  await assert.rejects(program.parseAsync(["overhead", "--frequency"], { from: "user" }), /unknown option '--frequency'/);
});

test("seed 004's environment variables override the defaults; flags win", () => {
  const env = { TEST_RUNNER_FREQUENCY_MS: "10", TEST_RUNNER_MAX_PER_TOKEN_OVERHEAD_MS: "5" };
  const fromEnv = resolveOverheadConfig({}, env);
  assert.deepEqual([fromEnv.tokens, fromEnv.frequencyMs, fromEnv.maxOverheadMs, fromEnv.protocol], [2048, 10, 5, "ndjson"]);
  const fromFlags = resolveOverheadConfig({ frequencyMs: "30", maxOverheadMs: "1.5" }, env);
  assert.deepEqual([fromFlags.frequencyMs, fromFlags.maxOverheadMs], [30, 1.5]);
  const defaults = resolveOverheadConfig({}, {});
  assert.deepEqual([defaults.tokens, defaults.frequencyMs, defaults.maxOverheadMs, defaults.target], [2048, 20, 3, null]);
});
