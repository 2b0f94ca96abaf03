// `tokenstorm overhead` and `tokenstorm compare` as users run them, through the real entry point.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnEmulator } from "../src/emulator/process.js";
import { writeReportFile } from "../src/report/json.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { sampleReport } from "./helpers/sample-report.js";

test("overhead: a pipeline adding 5 ms per token exits 99 and says why", async () => {
  const emulator = await spawnEmulator(["--ttft-ms", "20", "--itl-ms", "20", "--extra-delay-ms", "5", "--ndjson"]);
  try {
    const result = await runCli(["overhead", "--target", emulator.url, "--tokens", "40", "--frequency-ms", "20", "--quiet"]);
    assert.equal(result.code, 99, result.stderr);
    assert.match(result.stdout, /FAIL: overhead [45]\.\d+ ms per token > 3 ms/);
    assert.match(result.stdout, /received_tokens=40/);
  } finally {
    await emulator.stop();
  }
});

test("overhead: bad flags exit 2 with one line", async () => {
  const result = await runCli(["overhead", "--tokens", "many"], {});
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--tokens/);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
});

test("compare: a 20% TTFT regression between two saved reports exits 99", async () => {
  const dir = tempDir();
  const base = sampleReport();
  const next = sampleReport();
  next.latency.ttft!.p95 = Math.round(base.latency.ttft!.p95 * 1.2 * 1000) / 1000;
  await writeReportFile(join(dir, "base.json"), base);
  await writeReportFile(join(dir, "new.json"), next);
  const regressed = await runCli(["compare", "base.json", "new.json"], { cwd: dir });
  assert.equal(regressed.code, 99, regressed.stderr);
  assert.match(regressed.stdout, /ttft\.p95 .*\+20\.00%.*regression/);
  const same = await runCli(["compare", "base.json", "base.json"], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  const missing = await runCli(["compare", "base.json", "nope.json"], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json/);
});
