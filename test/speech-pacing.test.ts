// --speech-pacing as a flag and a config key: a bad value is one usage line naming the flag or the
// file's line. How the pacing times the speech is the timing suite's (test/timing/speech-pacing.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { registerRunCommand } from "../src/cli/run.js";
import { configKeysOf } from "../src/cli/run-flags.js";
import { loadRunConfigFile } from "../src/cli/run-config-file.js";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runCli, tempDir } from "./helpers/cli.js";

describe("--speech-pacing flag and config key", () => {
  it("a bad value is exit 2 with one line naming the flag", async () => {
    const result = await runCli(["run", "--protocol", "realtime", "--speech-pacing", "fast", "--no-save"]);
    assert.equal(result.code, 2);
    assert.deepEqual(result.stderr.trim().split("\n"), ['tokenstorm: --speech-pacing must be burst or realtime (got "fast")']);
    const misplaced = await runCli(["run", "--speech-pacing", "realtime", "--no-save"]);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--speech-pacing: for voice protocols \(realtime, grpc-voice\), not openai-chat/);
  });

  it("is read from a config file as speech-pacing, and a bad one there names its line", async () => {
    const dir = tempDir();
    const program = new Command();
    registerRunCommand(program);
    const keys = configKeysOf(program.commands.find((c) => c.name() === "run")!);
    const good = join(dir, "good.yaml");
    writeFileSync(good, "protocol: grpc-voice\nspeech-pacing: realtime\n");
    const merged = loadRunConfigFile(good, {}, keys, {});
    assert.equal(resolveRunConfig(merged.flags as RawRunFlags, {}).voice.speechPacing, "realtime");
    assert.equal(resolveRunConfig({ protocol: "grpc-voice" }, {}).voice.speechPacing, "burst");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "protocol: realtime\nspeech-pacing: slow\n");
    const result = await runCli(["run", "--config", bad, "--no-save"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /bad\.yaml:2:\d+.*speech-pacing.*must be burst or realtime \(got "slow"\)/);
  });
});
