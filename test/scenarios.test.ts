// Named scenarios (seeds 001 and 002): their values as the seeds give them, precedence (command line >
// scenario > environment > defaults), every scenario running shortened against the emulator, and
// the `scenarios` command and a CLI override end to end.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { emulatorForSuite } from "./helpers/emulator.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { findScenario, scenarioModel, SCENARIOS } from "../src/config/scenarios.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { UsageError } from "../src/errors.js";
import type { Report } from "../src/report/types.js";

/** The repository root (tests run from dist/test/). */
const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

describe("scenario presets", () => {
  test("seed 002's table: users / ramp-up / hold, 1 s think time", () => {
    const table: Array<[string, number, number, number]> = [
      ["baseline", 1, 0, 30],
      ["light", 5, 10, 120],
      ["medium", 20, 30, 300],
      ["heavy", 50, 60, 300],
      ["spike", 100, 5, 30],
      ["endurance", 20, 30, 1800],
    ];
    for (const [name, users, rampUpS, holdS] of table) {
      const config = resolveRunConfig({ scenario: name }, {});
      assert.deepEqual(config.stages, { users, rampUpS, holdS, rampDownS: 0 }, name);
      assert.equal(config.thinkTimeS, 1, name);
      assert.equal(config.durationS, rampUpS + holdS, name);
    }
  });

  test("seed 001's scenarios: its patterns, rates, concurrency and prompt sets", () => {
    const quick = resolveRunConfig({ scenario: "quick" }, {});
    assert.deepEqual([quick.pattern?.name, quick.pattern?.toJSON().rps, quick.maxConcurrent, quick.durationS, quick.prompts], ["constant", 40, 60, 120, ["short"]]);
    const queue = resolveRunConfig({ scenario: "queue-stress" }, {});
    assert.deepEqual([queue.pattern?.name, queue.pattern?.toJSON().rps, queue.maxConcurrent, queue.requests, queue.prompts], ["constant", 25, 100, 500, ["short", "medium"]]);
    const chaos = resolveRunConfig({ scenario: "chaos" }, {});
    assert.deepEqual(
      [chaos.pattern?.name, chaos.pattern?.toJSON().rps, chaos.pattern?.toJSON().burstSize, chaos.maxConcurrent, chaos.requests, chaos.prompts],
      ["chaos", 20, 30, 90, 500, ["short", "medium", "long"]],
    );
    const burst = resolveRunConfig({ scenario: "burst" }, {}).pattern?.toJSON();
    assert.deepEqual([burst?.name, burst?.burstSize, burst?.burstEveryS], ["burst", 50, 10]);
    const ramp = resolveRunConfig({ scenario: "ramp" }, {}).pattern?.toJSON();
    assert.deepEqual([ramp?.name, ramp?.rpsStart, ramp?.rps, ramp?.durationS], ["ramp", 0, 30, 300]);
    assert.equal(resolveRunConfig({ scenario: "spike-test" }, {}).pattern?.name, "spike");
  });

  test("command line > scenario > environment variables > defaults", () => {
    const env = { MAX_CONCURRENT_CLIENTS: "7", REQUEST_TIMEOUT: "33" };
    const config = resolveRunConfig({ scenario: "quick" }, env);
    assert.equal(config.maxConcurrent, 60, "the scenario beats the environment");
    assert.equal(config.timeoutS, 33, "the environment fills what the scenario leaves open");
    assert.equal(resolveRunConfig({ scenario: "quick", maxConcurrent: "9" }, env).maxConcurrent, 9, "the command line beats the scenario");
    assert.deepEqual(resolveRunConfig({ scenario: "chaos", prompts: "long" }, {}).prompts, ["long"]);
    assert.equal(resolveRunConfig({ scenario: "medium", users: "3" }, {}).stages?.users, 3);
  });

  test("a load model chosen on the command line replaces the scenario's", () => {
    const open = resolveRunConfig({ scenario: "medium", pattern: "constant", rps: "5", duration: "2" }, {});
    assert.equal(open.stages, null);
    assert.equal(open.pattern?.name, "constant");
    const staged = resolveRunConfig({ scenario: "quick", users: "4", hold: "2" }, {});
    assert.equal(staged.pattern, null);
    assert.deepEqual(staged.stages, { users: 4, rampUpS: 0, holdS: 2, rampDownS: 0 });
    assert.equal(staged.maxConcurrent, 60, "the scenario's other settings stay");
  });

  test("an unknown scenario is a usage error naming the known ones", () => {
    const unknown = /^--scenario: unknown scenario "nope" \(known: baseline, light, .*quick\)$/;
    assert.throws(() => findScenario("nope"), (err: unknown) => err instanceof UsageError && unknown.test(err.message));
    assert.throws(() => resolveRunConfig({ scenario: "nope", clients: "2" }, {}), (err: unknown) => err instanceof UsageError && unknown.test(err.message));
  });
});

describe("every scenario runs, shortened", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1 });

  test("each of the 12 scenarios against the emulator for 1.5 s (staged ones: 0.5 s ramp-up, 1 s hold)", async () => {
    // Run side by side: each is short and light (5 tokens a request), and together they take ~2 s on an idle machine.
    // A staged scenario's --duration is its hold, so its ramp-up is shortened too.
    const runs = await Promise.all(
      SCENARIOS.map(async (scenario) => {
        const shortened = scenarioModel(scenario) === "staged" ? { rampUp: "0.5", duration: "1" } : { duration: "1.5" };
        const config = resolveRunConfig({ scenario: scenario.name, ...shortened, target: emulator().url, length: "5", quiet: true }, {});
        return { name: scenario.name, ...(await runLoadTest({ config })) };
      }),
    );
    assert.equal(runs.length, 12);
    for (const { name, report, exitCode } of runs) {
      assert.equal(exitCode, 0, name);
      assert.equal(report.config.scenario, name);
      assert.ok(report.summary.requests > 0, `${name}: no requests`);
      assert.equal(report.summary.failed, 0, `${name}: ${JSON.stringify(report.errors)}`);
      // Shortened from minutes; twelve runs sharing one busy event loop take a little longer than 1.5 s.
      assert.ok(report.summary.duration_s < 10, `${name}: ran ${report.summary.duration_s}s (${runs.map((r) => `${r.name} ${r.report.summary.duration_s}s`).join(", ")})`);
    }
  });
});

describe("scenarios on the command line", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 1 });

  test("`tokenstorm scenarios` lists every scenario with its model and description", async () => {
    const { code, stdout } = await runCli(["scenarios"]);
    assert.equal(code, 0);
    for (const scenario of SCENARIOS) assert.match(stdout, new RegExp(`^${scenario.name}\\s+(staged|open \\w+)\\s+--`, "m"));
    assert.match(stdout, /quick\s+open constant\s+--pattern constant --rps 40 --max-concurrent 60 --duration 120 --prompts short\s+2-minute/);
  });

  test("seed 001's Makefile targets are npm scripts running the built CLI with a known scenario", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const targets = Object.keys(scripts).filter((name) => name.startsWith("load-test"));
    assert.deepEqual(targets, ["load-test", "load-test:quick", "load-test:queue", "load-test:burst", "load-test:chaos"]);
    assert.equal(scripts["load-test"], "node dist/src/cli/main.js menu");
    for (const name of targets.slice(1)) {
      const scenario = /^node dist\/src\/cli\/main\.js run --scenario ([\w-]+)$/.exec(scripts[name]!)?.[1];
      assert.ok(scenario !== undefined && findScenario(scenario), `${name}: ${scripts[name]}`);
    }
    assert.ok(existsSync(join(ROOT, "dist/src/cli/main.js")));
  });

  test("a flag overrides the scenario's value in the report's config", async () => {
    const dir = tempDir();
    const out = join(dir, "report.json");
    const { code, stderr } = await runCli(["run", "--target", emulator().url, "--scenario", "quick", "--rps", "10", "--duration", "1", "--length", "5", "--quiet", "--no-save", "--out", out], { cwd: dir });
    assert.equal(code, 0, stderr);
    const report = JSON.parse(readFileSync(out, "utf8")) as Report;
    assert.equal(report.config.scenario, "quick");
    assert.equal((report.config.pattern as { rps: number }).rps, 10);
    assert.equal(report.config.maxConcurrent, 60);
    assert.equal(report.config.durationS, 1);
    assert.ok(Math.abs(report.summary.requests - 10) <= 1, `requests ${report.summary.requests}`);
  });
});
