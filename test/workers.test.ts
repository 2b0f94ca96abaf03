// `run --workers N`: child processes of our own CLI, one segment each, against one embedded emulator
// started by the parent; the merged report has the single-process totals, the usual outputs and gates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import type { Report, RequestRecord } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";

function readJson(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

test("--workers 2: the single process's totals, one shared embedded emulator, merged outputs and thresholds", async () => {
  const cwd = tempDir();
  const flags: RawRunFlags = { clients: "20", cycles: "5", length: "20", delay: "0.002" };
  const args = ["run", "--clients", "20", "--cycles", "5", "--length", "20", "--delay", "0.002", "--no-save"];
  const [single, workers] = await Promise.all([
    runLoadTest({ config: resolveRunConfig({ ...flags, quiet: true, save: false }) }),
    runCli([...args, "--workers", "2", "--out", "w.json", "--raw", "w.ndjson", "--csv", "w.csv", "--threshold", "success_rate>=1", "--threshold", "ttft.p50<0.001ms"], { cwd }),
  ]);
  // The impossible threshold fails on the merged data: exit 99, the report still written.
  assert.equal(workers.code, 99, workers.stderr);
  const one = single.report;
  const two = readJson(join(cwd, "w.json"));
  assert.deepEqual(two.thresholds.map((t) => t.ok), [true, false]);
  assert.equal(two.summary.requests, 100);
  assert.equal(two.summary.tokens_total, 2000);
  for (const key of ["requests", "successful", "failed", "tokens_total", "tokens_lost"] as const) assert.equal(two.summary[key], one.summary[key], key);
  assert.equal(two.latency["itl"]!.count, one.latency["itl"]!.count);
  assert.equal(two.latency["ttft"]!.count, 100);
  assert.deepEqual(two.segments, { count: 2, merged: ["1/2", "2/2"], missing: [] });
  // One emulator, started by the parent and shared: the workers were handed its URL.
  assert.match(workers.stderr, /embedded emulator on http:\/\/127\.0\.0\.1:\d+.*shared by 2 workers/);
  assert.equal(two.config["embedded_emulator"], true);
  assert.match(String(two.config["load_model"]), /^closed: 20 clients/);
  // The console summary, and the per-request files of both workers with unique ids.
  assert.match(workers.stdout, /LOAD TEST RESULTS/);
  assert.match(workers.stdout, /ttft\.p50<0\.001ms/);
  const raw = readFileSync(join(cwd, "w.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RequestRecord);
  assert.equal(raw.length, 100);
  assert.equal(new Set(raw.map((r) => r.id)).size, 100);
  assert.equal(new Set(raw.map((r) => `${r.client}:${r.cycle}`)).size, 100);
  assert.equal(readFileSync(join(cwd, "w.csv"), "utf8").trim().split("\n").length, 101);
});
