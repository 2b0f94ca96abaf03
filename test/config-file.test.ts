// `--config run.yaml`: every mistake reported at once at its file:line:col, exit 2; a valid file's
// scenarios picked by name; command-line flags over the file over built-in scenarios; commander's
// defaults never masking a file value.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { runCli, tempDir } from "./helpers/cli.js";
import { parseConfigFile } from "../src/config/file.js";
import { locateProblems, mergeConfigFile, sortProblems } from "../src/config/file-layers.js";
import { configKeysOf } from "../src/cli/run-flags.js";
import { loadRunConfigFile } from "../src/cli/run-config-file.js";
import { UsageError } from "../src/errors.js";
import { registerRunCommand } from "../src/cli/run.js";
import type { Report } from "../src/report/types.js";

function runKeys() {
  const program = new Command();
  registerRunCommand(program);
  return configKeysOf(program.commands.find((c) => c.name() === "run")!);
}

const KEYS = runKeys();

function parse(text: string) {
  return parseConfigFile(text, "run.yaml", KEYS);
}

function problemTexts(text: string): string[] {
  return sortProblems(parse(text).problems);
}

describe("config file parsing", () => {
  test("keys are the long flag names; switches, lists and negated flags take their natural YAML types", () => {
    const kinds = Object.fromEntries(KEYS.map((k) => [k.key, [k.attribute, k.kind]]));
    assert.deepEqual(kinds["max-concurrent"], ["maxConcurrent", "value"]);
    assert.deepEqual(kinds["threshold"], ["threshold", "list"]);
    assert.deepEqual(kinds["header"], ["header", "list"]);
    assert.deepEqual(kinds["quiet"], ["quiet", "switch"]);
    assert.deepEqual(kinds["save"], ["save", "switch"]);
    assert.equal(kinds["config"], undefined, "a config file cannot name another");
  });

  test("numbers may be YAML numbers or strings; a single value is a list of one", () => {
    const { file, problems } = parse("clients: 4\nduration: '2.5'\nrps: 1e3\nthreshold: ttft.p95<500ms\nsave: false\nheader: ['A: 1', 'B: 2']\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(file.top.flags, {
      clients: "4",
      duration: "2.5",
      rps: "1000",
      threshold: ["ttft.p95<500ms"],
      save: false,
      header: ["A: 1", "B: 2"],
    });
    assert.equal(file.top.origins.get("duration")?.location, "run.yaml:2:11");
  });

  test("unknown keys point at the key, with a did-you-mean when one is close", () => {
    assert.deepEqual(problemTexts("clients: 2\nmaxConcurrent: 5\nbanana: 1\nscenarios:\n  a:\n    cyles: 2\n"), [
      'run.yaml:2:1 maxConcurrent: unknown key (did you mean "max-concurrent"?)',
      "run.yaml:3:1 banana: unknown key",
      'run.yaml:6:5 scenarios.a.cyles: unknown key (did you mean "cycles"?)',
    ]);
  });

  test("wrong types point at the value, list items at the item", () => {
    assert.deepEqual(problemTexts("quiet: 'yes'\nclients: [1]\nthreshold:\n  - ttft.p95<1s\n  - {a: 1}\nscenarios:\n  x: 3\n"), [
      "run.yaml:1:8 quiet: must be true or false",
      "run.yaml:2:10 clients: must be a string or a number",
      "run.yaml:5:5 threshold[1]: must be a string or a number",
      "run.yaml:7:6 scenarios.x: must be a mapping of flag names to values",
    ]);
  });

  test("a bad threshold expression points at its list item", () => {
    const [line, ...rest] = problemTexts("threshold:\n  - ttft.p95<1s\n  - ttft.p96<2s\n");
    assert.deepEqual(rest, []);
    assert.match(line!, /^run\.yaml:3:5 threshold\[1\]: unknown stat "p96"/);
  });

  test("YAML syntax errors and duplicate keys carry their position", () => {
    const lines = problemTexts("clients: 2\nclients: 3\nrps: [1, 2\n");
    assert.ok(lines.length >= 2, lines.join("\n"));
    assert.ok(lines.some((l) => /^run\.yaml:2:1: .*unique/i.test(l)), lines.join("\n"));
    assert.ok(lines.every((l) => /^run\.yaml:\d+:\d+: /.test(l)), lines.join("\n"));
  });

  test("a file that is not a mapping says so at 1:1; an empty file is an empty config", () => {
    assert.deepEqual(problemTexts("- clients\n"), ["run.yaml:1:1: must be a mapping of flag names (without --) to values"]);
    assert.deepEqual(parse("# nothing yet\n").problems, []);
  });

  test("merge keys reuse settings across scenarios", () => {
    const { file, problems } = parse("scenarios:\n  base: &base {clients: 2, length: 5}\n  big:\n    <<: *base\n    clients: 8\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(file.scenarios.get("big")!.flags, { clients: "8", length: "5" });
  });
});

describe("merging a file with the command line", () => {
  const text = "length: 5\nclients: 1\nscenario: small\nscenarios:\n  small: {clients: 2, cycles: 1}\n  big: {clients: 9, scenario: quick}\n";
  const { file } = parse(text);

  test("command line > file scenario > file top level; the file's `scenario:` picks", () => {
    const merged = mergeConfigFile({ cycles: "4" }, file);
    assert.deepEqual(merged.flags, { length: "5", clients: "2", cycles: "4" });
    assert.equal(merged.fileScenario, "small");
    assert.equal(merged.origins.get("clients")?.path, "scenarios.small.clients");
    assert.equal(merged.origins.has("cycles"), false, "a command-line value has no file origin");
  });

  test("--scenario picks a file scenario first; a file scenario may build on a built-in one", () => {
    const merged = mergeConfigFile({ scenario: "big" }, file);
    assert.deepEqual(merged.flags, { length: "5", clients: "9", scenario: "quick" });
  });

  test("a name the file does not define is left for the built-in scenarios", () => {
    const merged = mergeConfigFile({ scenario: "quick" }, file);
    assert.equal(merged.flags.scenario, "quick");
    assert.equal(merged.fileScenario, null);
    assert.equal(merged.flags.clients, "1");
  });

  test("value problems of the merged flags point at the file line that set them", () => {
    const merged = mergeConfigFile({}, parse("clients: 0\ncycles: 2\n").file);
    const { located, other } = locateProblems(
      ['--clients must be a positive integer (got "0")', "--timeout must be a number > 0", "environment variable X is bad"],
      merged.origins,
      KEYS,
    );
    assert.deepEqual(sortProblems(located), ['run.yaml:1:10 clients: must be a positive integer (got "0")']);
    assert.deepEqual(other, ["--timeout must be a number > 0", "environment variable X is bad"]);
  });
});

describe("checking a file under the command line", () => {
  function problemsOf(text: string, cli: Record<string, unknown>): string[] {
    const path = join(tempDir(), "run.yaml");
    writeFileSync(path, text);
    try {
      loadRunConfigFile(path, cli, KEYS, {});
      return [];
    } catch (err) {
      assert.ok(err instanceof UsageError);
      return err.message.split("\n").map((line) => line.replaceAll(path, "run.yaml"));
    }
  }

  test("value problems from the file carry its positions; those from the command line stay as they are", () => {
    const lines = problemsOf("pattern: constant\nrps: fast\nduration: 5\n", { timeout: "-1" });
    assert.deepEqual(lines, ['run.yaml:2:6 rps: must be a number >= 0 (got "fast")', '--timeout must be a number > 0 (got "-1")']);
  });

  test("a scenario neither in the file nor built in is named with both lists and a did-you-mean", () => {
    const [line, ...rest] = problemsOf("scenario: smok\nscenarios:\n  smoke: {clients: 1}\n", {});
    assert.deepEqual(rest, []);
    assert.match(line!, /^run\.yaml:1:11 scenario: unknown scenario "smok" \(did you mean "smoke"\?\) \(in run\.yaml: smoke; built in: baseline, /);
    const [typed] = problemsOf("scenarios:\n  smoke: {clients: 1}\n", { scenario: "quik" });
    assert.match(typed!, /^--scenario: unknown scenario "quik" \(did you mean "quick"\?\)/);
  });

  test("a scenario that includes itself, directly or through others, is one line naming the cycle", () => {
    const loop = "scenario: loop1\nscenarios:\n  loop1: {clients: 2, scenario: loop2}\n  loop2: {cycles: 3, scenario: loop1}\n";
    assert.deepEqual(problemsOf(loop, {}), ['run.yaml:4:32 scenarios.loop2.scenario: scenario "loop1" includes itself: loop1 -> loop2 -> loop1']);
    assert.deepEqual(problemsOf("scenarios:\n  me: {scenario: me}\n", { scenario: "me" }), [
      'run.yaml:2:18 scenarios.me.scenario: scenario "me" includes itself: me -> me',
    ]);
  });

  test("a file scenario builds on another file scenario, which may build on a built-in one", () => {
    const path = join(tempDir(), "run.yaml");
    writeFileSync(path, "scenarios:\n  base: {clients: 2, cycles: 4, scenario: quick}\n  more: {clients: 6, scenario: base}\n");
    const merged = loadRunConfigFile(path, { scenario: "more" }, KEYS, {});
    assert.equal(merged.fileScenario, "more");
    assert.deepEqual(merged.flags, { clients: "6", cycles: "4", scenario: "quick" });
  });

  test("a missing file is one usage line naming it", () => {
    assert.throws(() => loadRunConfigFile("nope.yaml", {}, KEYS, {}), {
      name: "UsageError",
      message: "--config nope.yaml: cannot read the file (no such file)",
    });
  });

  test("a valid file passes and names the file scenario it applied", () => {
    const path = join(tempDir(), "run.yaml");
    writeFileSync(path, "scenarios:\n  smoke: {clients: 1, cycles: 1}\n");
    const merged = loadRunConfigFile(path, { scenario: "smoke" }, KEYS, {});
    assert.equal(merged.fileScenario, "smoke");
    assert.deepEqual(merged.flags, { clients: "1", cycles: "1" });
  });
});

describe("tokenstorm run --config", () => {
  test("a file with three mistakes prints three file:line:col lines and exits 2", async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, "run.yaml"),
      ["# three mistakes", "clients: 4", "max-concurent: 5", "cycles: abc", "threshold:", "  - ttft.p95<500ms", "  - ttft.p96<2s", ""].join("\n"),
    );
    const result = await runCli(["run", "--config", "run.yaml", "--no-save"], { cwd });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 3, result.stderr);
    assert.match(lines[0]!, /^tokenstorm: run\.yaml:3:1 max-concurent: unknown key \(did you mean "max-concurrent"\?\)$/);
    assert.match(lines[1]!, /^tokenstorm: run\.yaml:4:9 cycles: must be a positive integer \(got "abc"\)$/);
    assert.match(lines[2]!, /^tokenstorm: run\.yaml:7:5 threshold\[1\]: unknown stat "p96"/);
    assert.equal(result.stdout, "");
  });


  test("a valid file with two scenarios runs the chosen one under the flags typed on the command line", async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, "run.yaml"),
      [
        "length: 5",
        "delay: 0.001",
        "quiet: true",
        "save: false",
        "prompts: medium # commander's default (short) must not mask this",
        "scenario: wide",
        "scenarios:",
        "  smoke:",
        "    clients: 1",
        "    cycles: 1",
        "  wide:",
        "    clients: 3",
        "    cycles: 2",
        "    threshold: [success_rate>0.9]",
        "",
      ].join("\n"),
    );
    // One run shows every layer: clients from the chosen file scenario, cycles from the command
    // line, length and prompts from the file's top level.
    const result = await runCli(["run", "--config", "run.yaml", "--cycles", "1", "--out", "wide.json"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "wide.json"), "utf8")) as Report;
    assert.equal(report.config.clients, 3);
    assert.equal(report.config.cycles, 1);
    assert.equal(report.config.length, 5);
    assert.deepEqual(report.config.prompts, ["medium"]);
    assert.equal(report.summary.requests, 3);
    assert.deepEqual(report.config.configFile, { path: "run.yaml", scenario: "wide" });
    assert.deepEqual(report.thresholds.map((t) => [t.expression, t.ok]), [["success_rate>0.9", true]]);
  });
});
