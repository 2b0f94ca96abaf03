// The run's settings model (src/config/run-settings.ts): the modules' zod schemas composed cover
// every `run` flag and nothing else, each field says what it is, and values typed on the command
// line (text) and given through the API (numbers) parse to the same typed settings.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { registerRunCommand } from "../src/cli/run.js";
import { resolveRunConfig, RunConfigError } from "../src/config/run-config.js";
import { coreRunSettings, runSettings } from "../src/config/run-settings.js";
import { describeSettings, given, parseSettings } from "../src/config/settings.js";
import { Problems } from "../src/config/values.js";
import { distributedSettings } from "../src/distributed/settings.js";
import { grpcVoiceSettings } from "../src/protocols/grpc-voice/options.js";
import { embeddingsSettings } from "../src/protocols/openai/embeddings-options.js";
import { observabilitySettings } from "../src/report/observability.js";
import { voiceRunSettings } from "../src/voice/run-options.js";
import { voiceEmulatorSettings } from "../src/voice/settings.js";
import { openPatternSettings } from "../src/workload/open.js";
import { stageSettings } from "../src/workload/stages.js";

/** `run`'s options that are not settings of the run: the file they come from, and an alias spelling. */
const NOT_SETTINGS = new Set(["--config", "--concurrent"]);

function runCommand(): Command {
  const program = new Command();
  registerRunCommand(program);
  return program.commands.find((command) => command.name() === "run")!;
}

describe("run settings composed from the modules' schemas", () => {
  test("every run flag is one field of the composed schema, under commander's attribute name, and every field is a flag", () => {
    const fields = new Map(describeSettings(runSettings).map((field) => [field.key, field]));
    const options = runCommand().options.filter((option) => option.long !== undefined && !NOT_SETTINGS.has(option.long));
    for (const option of options) {
      const field = fields.get(option.attributeName());
      assert.ok(field, `${option.long} has no field in the run's settings`);
      assert.equal(field.flag, option.long, `${option.attributeName()}'s flag`);
    }
    assert.equal(fields.size, options.length, "fields without a flag of `run`");
  });

  test("each module owns its part: one line of description per field, defaults where they are fixed", () => {
    const modules = [coreRunSettings, stageSettings, openPatternSettings, distributedSettings, observabilitySettings, grpcVoiceSettings, embeddingsSettings, voiceRunSettings, voiceEmulatorSettings];
    let fields = 0;
    for (const schema of modules) {
      for (const field of describeSettings(schema)) {
        fields++;
        assert.ok(field.description.length > 10 && !field.description.includes("\n"), `${field.flag}: one line of description`);
      }
    }
    assert.ok(fields > 80, `${fields} fields`);
    const byKey = new Map(describeSettings(runSettings).map((field) => [field.key, field]));
    assert.equal(byKey.get("clients")!.default, 10);
    assert.equal(byKey.get("timeout")!.default, 120);
    assert.equal(byKey.get("burstEvery")!.default, 10);
    assert.equal(byKey.get("heartbeatTimeout")!.default, 5);
    assert.equal(byKey.get("maxConcurrent")!.default, undefined, "a default that depends on the load model is not fixed");
  });

  test("text from the command line and numbers from the API parse to the same typed settings", () => {
    const problems = new Problems();
    const fromText = parseSettings(runSettings, { clients: "4", rps: "2.5", linger: "0", workers: "auto", emulatorWorkers: "2", save: false, header: ["a: b"] }, problems);
    const fromNumbers = parseSettings(runSettings, { clients: 4, rps: 2.5, linger: 0, workers: "auto", emulatorWorkers: 2, save: false, header: ["a: b"] }, problems);
    assert.deepEqual(problems.lines, []);
    assert.deepEqual(fromText, fromNumbers);
    assert.deepEqual(fromText, { clients: 4, rps: 2.5, linger: 0, workers: "auto", emulatorWorkers: 2, save: false, header: ["a: b"] });
  });

  test("every refused value is reported naming its flag; a refused value still counts as given", () => {
    const problems = new Problems();
    const settings = parseSettings(runSettings, { clients: "-4", rps: "fast", prometheusPort: 70000, quiet: "yes", header: "x: y", expectWorkers: "1.5" }, problems);
    // In the schema's order, not the input's.
    assert.deepEqual([...problems.lines].sort(), [
      '--clients must be a positive integer (got "-4")',
      '--expect-workers must be a positive integer (got "1.5")',
      '--header must be a list of text values (got "x: y")',
      '--prometheus-port must be a port number 0-65535 (got "70000")',
      '--quiet must be true or false (got "yes")',
      '--rps must be a number >= 0 (got "fast")',
    ]);
    assert.deepEqual(settings, {});
    assert.equal(given(settings, "clients"), true);
    assert.equal(given(settings, "cycles"), false);
  });

  test("seed 000's variables are defaults under every layer, named when bad, and not settings given", () => {
    const config = resolveRunConfig({ pattern: "constant", rps: "5", duration: "2" }, { NUM_CLIENTS: "7", TOKEN_DELAY_SECONDS: "0.02" });
    assert.equal(config.delayS, 0.02);
    assert.equal(resolveRunConfig({ clients: "3" }, { NUM_CLIENTS: "7" }).clients, 3);
    assert.equal(resolveRunConfig({}, { NUM_CLIENTS: "7" }).clients, 7);
    assert.throws(
      () => resolveRunConfig({ cycles: "2" }, { NUM_CLIENTS: "many", CYCLES_PER_CLIENT: "also bad" }),
      (err: unknown) => err instanceof RunConfigError && err.problems.join("\n") === 'environment variable NUM_CLIENTS must be a positive integer (got "many")',
    );
  });
});
