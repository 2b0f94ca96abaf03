// `tokenstorm merge`: four segment reports of a real run merge into the single-process run's totals,
// with percentiles equal to one histogram of every raw sample; thresholds gate the merged data;
// a missing or duplicated segment is reported.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { UsageError } from "../src/errors.js";
import { join } from "node:path";
import { Writable } from "node:stream";
import { mergeCommand, type MergeFlags } from "../src/cli/merge.js";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { LatencyHistogram } from "../src/metrics/histogram.js";
import { JsonReportOutput } from "../src/report/json.js";
import { RawRequestsOutput } from "../src/report/raw.js";
import type { Report, RequestRecord } from "../src/report/types.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { watched } from "./timing/machine.js";

/** A run in this process (several side by side), writing its report and raw lines like `run` does. */
async function run(flags: RawRunFlags, out: string, raw?: string): Promise<void> {
  const config = resolveRunConfig({ quiet: true, save: false, ...flags });
  const outputs = [new JsonReportOutput(out), ...(raw ? [new RawRequestsOutput(raw)] : [])];
  const { exitCode } = await runLoadTest({ config, outputs });
  assert.equal(exitCode, 0);
}

/** `tokenstorm merge` in this process; the console summary is returned. */
async function merge(paths: string[], flags: MergeFlags): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stdout += chunk.toString();
      done();
    },
  });
  return { code: await mergeCommand(paths, flags, sink), stdout };
}

function readJson(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

function readRaw(path: string): RequestRecord[] {
  return readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line) as RequestRecord);
}

describe("merging the reports of four segments", () => {
  const emulator = emulatorForSuite({ ttftMs: 15, itlMs: 2, jitter: 0.5, seed: 3 });
  const cwd = tempDir();
  const segmentFiles = [1, 2, 3, 4].map((i) => join(cwd, `seg-${i}.json`));

  before(async () => {
    const common: RawRunFlags = { target: emulator().url, clients: "10", cycles: "3", length: "12", prompts: "short,medium" };
    await Promise.all([
      run(common, join(cwd, "single.json")),
      ...[1, 2, 3, 4].map((i) => run({ ...common, segment: `${i}/4` }, segmentFiles[i - 1]!, join(cwd, `seg-${i}.ndjson`))),
    ]);
  });

  test("totals equal the single-process run's, request for request", async () => {
    // The command itself, as a user runs it.
    const merged = await runCli(["merge", ...segmentFiles, "--out", join(cwd, "all.json")], { cwd });
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /LOAD TEST RESULTS/);
    const all = readJson(join(cwd, "all.json"));
    const single = readJson(join(cwd, "single.json"));
    for (const key of ["requests", "successful", "failed", "tokens_total", "tokens_lost", "cancelled"] as const) {
      assert.equal(all.summary[key], single.summary[key], key);
    }
    assert.equal(all.summary.requests, 30);
    assert.equal(all.summary.tokens_total, 30 * 12);
    assert.equal(all.summary.tokens_source, "usage");
    // Cycles are counted, not rebuilt from rounded rates.
    assert.ok(Math.abs(all.summary.cycles_per_sec * all.summary.duration_s - 30) < 0.01);
    for (const type of ["short", "medium"]) {
      assert.equal(all.by_type[type]!.summary.requests, single.by_type[type]!.summary.requests, type);
      assert.equal(all.by_type[type]!.latency["ttft"]!.count, single.by_type[type]!.latency["ttft"]!.count, type);
    }
    assert.equal(all.latency["itl"]!.count, single.latency["itl"]!.count);
    assert.deepEqual(all.segments, { count: 4, merged: ["1/4", "2/4", "3/4", "4/4"], missing: [] });
    assert.equal((all.config["distributed"] as { segment: unknown }).segment, null);
    // Every request of the whole run is in exactly one segment: the clients of the raw lines.
    const clients = [1, 2, 3, 4].flatMap((i) => readRaw(join(cwd, `seg-${i}.ndjson`)).map((r) => `${r.client}:${r.cycle}`));
    assert.equal(new Set(clients).size, 30);
    // The merged timeline keeps every second's counts of every segment.
    const completedIn = (r: Report): number => r.timeline.reduce((sum, p) => sum + p.completed, 0);
    assert.equal(completedIn(all), segmentFiles.map(readJson).reduce((sum, r) => sum + completedIn(r), 0));
    assert.ok(completedIn(all) > 0);
  });

  test("percentiles come from merged histograms: equal to one histogram of every raw sample", async () => {
    const merged = await merge(segmentFiles, { out: join(cwd, "all2.json"), quiet: true });
    assert.equal(merged.code, 0);
    const all = readJson(join(cwd, "all2.json"));
    const direct = new LatencyHistogram();
    const e2e = new LatencyHistogram();
    for (const i of [1, 2, 3, 4]) {
      for (const record of readRaw(join(cwd, `seg-${i}.ndjson`))) {
        direct.recordMs(record.ttft_ms!);
        e2e.recordMs(record.e2e_ms!);
      }
    }
    assert.deepEqual(all.latency["ttft"], direct.summary());
    assert.deepEqual(all.latency["e2e"], e2e.summary());
    // Not an average of the segments' percentiles (which differ).
    const p95s = segmentFiles.map((f) => readJson(f).latency["ttft"]!.p95);
    assert.equal(all.latency["ttft"]!.p95, direct.summary().p95);
    assert.ok(p95s.length === 4);
  });

  test("the merged timeline's percentiles come from the segments' per-second histograms", () => {
    const all = readJson(join(cwd, "all2.json"));
    const segmentsOnes = segmentFiles.map(readJson);
    for (const report of segmentsOnes) assert.equal(report.merge!.timeline_histograms!.length, report.timeline.length);
    const withTtft = all.timeline.filter((p) => p.ttft_p50 !== null);
    assert.ok(withTtft.length >= 1);
    assert.equal(all.merge!.timeline_histograms!.length, all.timeline.length);
    // Every per-second sample of every segment is in the merged seconds, and the merged report carries
    // them on (it is mergeable itself).
    const ttftSamples = (report: Report): number => {
      const ttft = new LatencyHistogram();
      for (const second of report.merge!.timeline_histograms!) if (second["ttft"]) ttft.add(LatencyHistogram.decode(second["ttft"]));
      return ttft.count;
    };
    assert.equal(ttftSamples(all), segmentsOnes.reduce((sum, r) => sum + ttftSamples(r), 0));
    assert.ok(ttftSamples(all) > 0);
  });

  test("thresholds are evaluated on the merged data (exit 99)", async () => {
    const failing = await merge(segmentFiles, { quiet: true, threshold: ["ttft.p95<1ms", "success_rate>=1"] });
    assert.equal(failing.code, 99);
    const passing = await merge(segmentFiles, { threshold: ["ttft.p95<5s"] });
    assert.equal(passing.code, 0);
    assert.match(passing.stdout, /ttft\.p95<5s/);
  });

  test("a missing segment is named (exit 1); a duplicate or a bad file is a usage error (exit 2)", async () => {
    const [missing, duplicate, bad] = await Promise.all([
      runCli(["merge", segmentFiles[0]!, segmentFiles[2]!, segmentFiles[3]!, "--quiet", "--out", join(cwd, "partial.json")], { cwd }),
      merge([segmentFiles[0]!, segmentFiles[0]!], { quiet: true }).catch((err: Error) => err),
      merge([join(cwd, "nope.json")], { quiet: true }).catch((err: Error) => err),
    ]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /MISSING segment 2\/4/);
    assert.deepEqual(readJson(join(cwd, "partial.json")).segments!.missing, ["2/4"]);
    assert.ok(duplicate instanceof UsageError);
    assert.match(duplicate.message, /segment 1\/4 is also in/);
    assert.ok(bad instanceof UsageError);
    assert.match(bad.message, /nope\.json: no such file/);
  });
});

describe("merging segments of an open model", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1 });

  test("two segments of a seeded Poisson schedule with a request budget issue exactly the whole run", async () => {
    const cwd = tempDir();
    const common: RawRunFlags = { target: emulator().url, pattern: "poisson", rps: "60", requests: "30", seed: "11", length: "5" };
    const { machine } = await watched(() =>
      Promise.all([
        run(common, join(cwd, "single.json")),
        run({ ...common, segment: "1/2" }, join(cwd, "a.json")),
        run({ ...common, segment: "2/2" }, join(cwd, "b.json")),
      ]),
    );
    const merged = await merge([join(cwd, "a.json"), join(cwd, "b.json")], { out: join(cwd, "all.json"), quiet: true });
    assert.equal(merged.code, 0);
    const all = readJson(join(cwd, "all.json"));
    const single = readJson(join(cwd, "single.json"));
    assert.equal(single.summary.requests, 30);
    assert.equal(all.summary.requests, 30);
    assert.equal(all.summary.tokens_total, single.summary.tokens_total);
    // The segments' arrivals, put back on one clock. These segments started one after another in
    // this process (not together, as workers do), so the merged span is a little longer than one run's.
    assert.equal(all.arrivals!.count, 30);
    assert.equal(single.arrivals!.count, 30);
    // The spans agree within a quarter, plus whatever lateness this machine showed: the arrivals' own
    // lag and this process's event-loop delay (all three runs share it), so a busy machine cannot fail it.
    const span = (report: Report): number => (report.arrivals!.last_ms ?? 0) - (report.arrivals!.first_ms ?? 0);
    const lag = ["a.json", "b.json", "single.json"].reduce((sum, file) => sum + readJson(join(cwd, file)).arrivals!.max_lag_ms, 0);
    const allowance = 0.25 * span(single) + lag + 2 * machine.loopDelayMaxMs;
    assert.ok(Math.abs(span(all) - span(single)) <= allowance, `merged ${all.arrivals!.achieved_rps} rps over ${span(all)} ms, single ${single.arrivals!.achieved_rps} rps over ${span(single)} ms (allowance ${allowance.toFixed(1)} ms)`);
  });
});
