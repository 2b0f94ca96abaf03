// The opening of a voice run as the voice load test's users know it: the "Starting load test" header
// (server, concurrency, requests per client, total, scenario weights) and, with --verbose, one
// "[Client N] ✓ Connected in X ms" line per client connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.js";

const FAST = ["--protocol", "realtime", "--voice-pace", "10", "--voice-audio-ms", "300", "--no-save"];

test("voice run header, and a Connected line per client with --verbose", async () => {
  const verbose = await runCli(["run", ...FAST, "--concurrency", "3", "--requests", "2", "--verbose"], { timeoutMs: 120_000 });
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(
    verbose.stderr,
    /^🚀 Starting load test:\n {2}Server: \S+\n {2}Concurrency: 3\n {2}Requests per client: 2\n {2}Total requests: 6\n {2}Scenarios: \{'simple_query': 0\.6, 'tool_call': 0\.2, 'interruption': 0\.1, 'false_alarm': 0\.1\}\n/m,
  );
  const connected = [...verbose.stderr.matchAll(/^\[Client (\d+)\] ✓ Connected in [\d.]+ ms$/gm)].map((match) => Number(match[1]));
  // Every client connected; a turn that ends its session (a dropped or cancelled one) makes the next dial again.
  assert.deepEqual([...new Set(connected)].sort(), [0, 1, 2]);
  assert.ok(connected.length <= 6, `${connected.length} connections for 6 turns`);

  const plain = await runCli(["run", ...FAST, "--concurrency", "2", "--requests", "1"], { timeoutMs: 120_000 });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /^ {2}Total requests: 2$/m);
  assert.doesNotMatch(plain.stderr, /Connected in/, "per-client lines only with --verbose");
  const quiet = await runCli(["run", ...FAST, "--concurrency", "1", "--requests", "1", "--quiet"], { timeoutMs: 120_000 });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /Starting load test/);
});
