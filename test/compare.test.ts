// Run comparison: deltas and their direction, rules on relative and absolute changes, the built-in
// regression rules, bad input, and `tokenstorm compare` end to end on two report files.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { Command } from "commander";
import { compareCommand, registerCompareCommand } from "../src/cli/compare.js";
import { ExitCode, UsageError } from "../src/errors.js";
import { compareReports, DEFAULT_RULES_DESCRIPTION, type Comparison } from "../src/report/compare.js";
import { writeReportFile } from "../src/report/json.js";
import type { Report } from "../src/report/types.js";
import { tempDir } from "./helpers/cli.js";
import { sampleReport } from "./helpers/sample-report.js";

/** The sample run, and the same run with TTFT p95 20% higher (250.75 → 300.9 ms). */
function slowerTtft(): { base: Report; next: Report } {
  const next = sampleReport();
  next.latency["ttft"]!.p95 = 300.9;
  return { base: sampleReport(), next };
}

function row(comparison: Comparison, metric: string) {
  const found = comparison.metrics.find((delta) => delta.metric === metric);
  assert.ok(found, `no row for ${metric}`);
  return found;
}

function failedRules(comparison: Comparison): string[] {
  return comparison.thresholds.filter((result) => !result.ok).map((result) => result.expression);
}

async function usageMessage(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail("expected an error");
}

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe("compareReports", () => {
  it("flags a 20% TTFT p95 regression with the default rules", () => {
    const { base, next } = slowerTtft();
    const comparison = compareReports(base, next);
    assert.equal(comparison.regression, true);
    assert.equal(comparison.rules, "default");
    assert.deepEqual(failedRules(comparison), ["ttft.p95<=+10%"]);
    const ttft = row(comparison, "ttft.p95");
    assert.deepEqual(
      { base: ttft.base, new: ttft.new, delta: ttft.delta, relative: ttft.relative, movement: ttft.movement, regression: ttft.regression },
      { base: 250.75, new: 300.9, delta: 50.15, relative: 0.2, movement: "worse", regression: true },
    );
    assert.equal(row(comparison, "ttft.p50").movement, "same");
  });

  it("lists the built-in rules, expanded for the latency metrics both runs measured", () => {
    const { base, next } = slowerTtft();
    base.latency["ttfa"] = { ...base.latency["ttft"]! };
    assert.deepEqual(
      compareReports(base, next).thresholds.map((result) => result.expression),
      ["connect.p95<=+10%", "ttft.p95<=+10%", "itl.p95<=+10%", "tpot.p95<=+10%", "e2e.p95<=+10%", "requests_per_sec>=-10%", "tokens_per_sec>=-10%", "success_rate>=-0.01"],
    );
    assert.match(DEFAULT_RULES_DESCRIPTION, /<latency>\.p95<=\+10%.*requests_per_sec>=-10%, tokens_per_sec>=-10%, success_rate>=-0\.01/);
  });

  it("applies given rules instead of the defaults: +10% fails a 20% rise, +25% passes it", () => {
    const { base, next } = slowerTtft();
    const strict = compareReports(base, next, ["ttft.p95<+10%"]);
    assert.equal(strict.rules, "custom");
    assert.equal(strict.regression, true);
    assert.deepEqual(strict.thresholds, [
      { expression: "ttft.p95<+10%", metric: "ttft.p95", unit: "ms", change: "relative", ok: false, base: 250.75, new: 300.9, actual: 0.2 },
    ]);
    const lenient = compareReports(base, next, ["ttft.p95<+25%"]);
    assert.equal(lenient.regression, false);
    assert.equal(row(lenient, "ttft.p95").regression, false);
    assert.equal(row(lenient, "ttft.p95").movement, "worse");
  });

  it("reads lower throughput and success, higher errors and token loss as worse", () => {
    const base = sampleReport();
    const next = sampleReport();
    next.summary.tokens_per_sec = base.summary.tokens_per_sec * 0.8;
    next.summary.requests_per_sec = base.summary.requests_per_sec * 1.2;
    next.summary.success_rate = 0.94;
    next.summary.error_rate = 0.06;
    next.summary.tokens_lost = 7;
    next.latency["e2e"]!.p99 = 4000;
    const comparison = compareReports(base, next);
    assert.deepEqual(failedRules(comparison), ["tokens_per_sec>=-10%", "success_rate>=-0.01"]);
    const movements = ["tokens_per_sec", "requests_per_sec", "success_rate", "error_rate", "tokens_lost", "e2e.p99"].map(
      (metric) => row(comparison, metric).movement,
    );
    assert.deepEqual(movements, ["worse", "better", "worse", "worse", "worse", "better"]);
    assert.equal(row(comparison, "tokens_per_sec").relative, -0.2);
    assert.equal(compareReports(base, next, ["tokens_per_sec>-5%"]).regression, true);
    assert.equal(compareReports(next, base, ["tokens_per_sec>-5%"]).regression, false);
  });

  it("checks absolute changes in the metric's unit", () => {
    const base = sampleReport();
    const next = sampleReport();
    next.latency["e2e"]!.p99 = base.latency["e2e"]!.p99 + 100;
    next.summary.success_rate = 0.95;
    const results = compareReports(base, next, ["e2e.p99<+50ms", "e2e.p99<+0.2s", "success_rate>=-0.01", "success_rate>-0.01", "errors<=+0"]).thresholds;
    assert.deepEqual(
      results.map((result) => [result.expression, result.change, result.ok, result.actual]),
      [
        ["e2e.p99<+50ms", "absolute", false, 100],
        ["e2e.p99<+0.2s", "absolute", true, 100],
        ["success_rate>=-0.01", "absolute", true, -0.01],
        ["success_rate>-0.01", "absolute", false, -0.01],
        ["errors<=+0", "absolute", true, 0],
      ],
    );
  });

  it("fails a rule when a run lacks the figure, and a relative rule on a rise from zero", () => {
    const base = sampleReport();
    const next = sampleReport();
    next.latency["ttfa"] = { ...next.latency["ttft"]! };
    base.summary.tokens_lost = 0;
    const comparison = compareReports(base, next, ["ttfa.p95<+10%", "tokens_lost<+10%", "by_type.missing.ttft.p95<+1ms"]);
    assert.deepEqual(
      comparison.thresholds.map((result) => [result.ok, result.base, result.new, result.actual]),
      [
        [false, null, 250.75, null],
        [false, 0, 3, null],
        [false, null, null, null],
      ],
    );
    assert.equal(row(comparison, "tokens_lost").relative, null);
    assert.ok(!comparison.metrics.some((delta) => delta.metric.startsWith("ttfa")), "ttfa is measured by one run only");
  });

  it("rejects bad rules with one line naming each expression", async () => {
    const { base, next } = slowerTtft();
    const message = await usageMessage(() => compareReports(base, next, ["ttft.p95<10%", "foo.p95<+1%", "ttft.p95<+1h", "ttft.p95<+5%", "ttft.p95<+x"]));
    const parts = message.split("; ");
    assert.equal(parts.length, 4);
    assert.match(parts[0]!, /^--threshold "ttft\.p95<10%": a change needs its sign: ttft\.p95<\+10% or ttft\.p95<-10%$/);
    assert.match(parts[1]!, /^--threshold "foo\.p95<\+1%": .*unknown metric "foo"/);
    assert.match(parts[2]!, /^--threshold "ttft\.p95<\+1h": unknown unit "h"/);
    assert.match(parts[3]!, /^--threshold "ttft\.p95<\+x": expected <metric><op><signed change>/);
  });
});

describe("tokenstorm compare", () => {
  async function reportFiles(): Promise<{ dir: string; basePath: string; newPath: string }> {
    const dir = tempDir();
    const { base, next } = slowerTtft();
    const basePath = join(dir, "base.json");
    const newPath = join(dir, "new.json");
    await writeReportFile(basePath, base);
    await writeReportFile(newPath, next);
    return { dir, basePath, newPath };
  }

  it("flags a 20% TTFT regression between two saved reports (exit 99), and writes the comparison JSON", async () => {
    const { dir, basePath, newPath } = await reportFiles();
    const out = new Capture();
    const jsonPath = join(dir, "out", "comparison.json");
    assert.equal(await compareCommand(basePath, newPath, { json: jsonPath }, out), ExitCode.thresholdFailed);
    assert.match(out.text, new RegExp(`base: ${basePath}`));
    assert.match(out.text, /ttft\.p95\s+250\.75\s+300\.90\s+\+50\.15\s+\+20\.00%\s+✗ regression/);
    assert.match(out.text, /RULES \(built-in defaults; --threshold replaces them\):/);
    assert.match(out.text, /✗ ttft\.p95<=\+10%\s+actual=\+20\.00%/);
    assert.match(out.text, /✓ success_rate>=-0\.01\s+actual=\+0/);
    assert.match(out.text, /REGRESSION: 1 of 8 rules failed/);
    assert.doesNotMatch(out.text, /\u001b\[/);
    const written = JSON.parse(readFileSync(jsonPath, "utf8")) as Comparison;
    assert.equal(written.regression, true);
    assert.equal(written.thresholds.find((result) => !result.ok)?.metric, "ttft.p95");
  });

  it("passes (exit 0) under a looser rule", async () => {
    const { basePath, newPath } = await reportFiles();
    const out = new Capture();
    assert.equal(await compareCommand(basePath, newPath, { threshold: ["ttft.p95<+25%", "e2e.p99<+50ms"] }, out), ExitCode.ok);
    assert.match(out.text, /^RULES:$/m);
    assert.match(out.text, /✓ e2e\.p99<\+50ms\s+actual=\+0ms/);
    assert.match(out.text, /No regression\./);
  });

  it("rejects unreadable or invalid report files with one line naming the file", async () => {
    const { dir, basePath } = await reportFiles();
    const missing = join(dir, "missing.json");
    const notJson = join(dir, "not.json");
    const notReport = join(dir, "other.json");
    writeFileSync(notJson, "{ nope");
    writeFileSync(notReport, JSON.stringify({ summary: {} }));
    const out = new Capture();
    assert.equal(await usageMessage(() => compareCommand(missing, basePath, {}, out)), `${missing}: no such file`);
    assert.match(await usageMessage(() => compareCommand(basePath, notJson, {}, out)), new RegExp(`^${notJson}: invalid JSON`));
    assert.match(await usageMessage(() => compareCommand(basePath, notReport, {}, out)), new RegExp(`^${notReport}: not a tokenstorm report`));
    assert.equal(out.text, "");
  });

  it("registers the command: arguments, repeatable --threshold, defaults in --help", async () => {
    const { basePath, newPath } = await reportFiles();
    const program = new Command().exitOverride();
    registerCompareCommand(program);
    const command = program.commands.find((candidate) => candidate.name() === "compare");
    assert.ok(command);
    let help = "";
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    assert.match(help, /Usage: .*compare \[options\] <base> <new>/);
    assert.ok(help.replace(/\s+/g, " ").includes(`Default rules (without --threshold): ${DEFAULT_RULES_DESCRIPTION}`));
    const message = await usageMessage(() =>
      program.parseAsync(["compare", basePath, newPath, "--threshold", "ttft.p95<10%", "--threshold", "nope<+1"], { from: "user" }),
    );
    assert.match(message, /"ttft\.p95<10%".*; --threshold "nope<\+1"/);
  });
});
