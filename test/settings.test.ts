// One run's settings from every way in: the command line, a YAML --config file, TOKENSTORM_*
// environment variables and src/api.ts reach the same RunConfig, and every problem is reported at
// once naming its flag, its file:line:col or its variable.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { loadTestConfig } from "../src/api.js";
import { runFlagsFromCommand } from "../src/cli/run-flags.js";
import { registerRunCommand } from "../src/cli/run.js";
import { resolveRunConfig, type RunConfig } from "../src/config/run-config.js";
import { grpcVoice } from "../src/protocols/grpc-voice/client.js";
import { realtime } from "../src/protocols/realtime/client.js";
import type { Report } from "../src/report/types.js";
import { driverOptions } from "./helpers/driver-harness.js";
import { runCli, tempDir } from "./helpers/cli.js";

/** What `tokenstorm run ARGS` resolves to in this process, with `env` as its environment. */
async function configFromCommandLine(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunConfig> {
  const program = new Command().exitOverride();
  registerRunCommand(program);
  let config: RunConfig | undefined;
  program.commands.find((c) => c.name() === "run")!.action(async (_flags, command: Command) => {
    config = resolveRunConfig(await runFlagsFromCommand(command, env), env);
  });
  await program.parseAsync(["node", "tokenstorm", "run", ...args]);
  return config!;
}

async function usageLines(body: () => Promise<unknown>): Promise<string[]> {
  try {
    await body();
  } catch (err) {
    return (err as Error).message.split("\n");
  }
  assert.fail("expected a usage error");
}

describe("one scenario through every way in", () => {
  test("command line, YAML file and src/api.ts give deep-equal settings", async () => {
    const dir = tempDir();
    const yaml = join(dir, "run.yaml");
    writeFileSync(
      yaml,
      [
        "target: http://127.0.0.1:9/v1",
        "model: m1",
        "header: ['x-team: storm']",
        "clients: 3",
        "cycles: 2",
        "max-concurrent: 5",
        "think-time: 0.5",
        "timeout: 30",
        "seed: 7",
        "threshold: ['ttft.p95<2500ms']",
        "save: false",
        "quiet: true",
        "",
      ].join("\n"),
    );
    const fromCli = await configFromCommandLine([
      "--target", "http://127.0.0.1:9/v1", "--model", "m1", "--header", "x-team: storm", "--clients", "3", "--cycles", "2",
      "--max-concurrent", "5", "--think-time", "0.5", "--timeout", "30", "--seed", "7", "--threshold", "ttft.p95<2500ms", "--no-save", "--quiet",
    ]);
    const fromFile = await configFromCommandLine(["--config", yaml]);
    const fromApi = loadTestConfig({
      target: "http://127.0.0.1:9/v1", model: "m1", headers: { "x-team": "storm" }, clients: 3, cycles: 2,
      maxConcurrent: 5, thinkTimeS: 0.5, timeoutS: 30, seed: 7, thresholds: ["ttft.p95<2500ms"],
    });
    assert.deepEqual(fromFile.configFile, { path: yaml, scenario: null });
    assert.deepEqual({ ...fromFile, configFile: null }, fromCli);
    assert.deepEqual(fromApi, fromCli);
    assert.equal(fromCli.clients, 3);
    assert.deepEqual(fromCli.headers, { "x-team": "storm" });
  });

  test("TOKENSTORM_* variables give the same settings as the flags they stand for", async () => {
    const env = {
      TOKENSTORM_TARGET: "http://127.0.0.1:9/v1", TOKENSTORM_MODEL: "m1", TOKENSTORM_HEADER: "x-team: storm", TOKENSTORM_CLIENTS: "3",
      TOKENSTORM_CYCLES: "2", TOKENSTORM_MAX_CONCURRENT: "5", TOKENSTORM_THINK_TIME: "0.5", TOKENSTORM_TIMEOUT: "30", TOKENSTORM_SEED: "7",
      TOKENSTORM_THRESHOLD: "ttft.p95<2500ms", TOKENSTORM_NO_SAVE: "1", TOKENSTORM_QUIET: "true",
    };
    const fromCli = await configFromCommandLine([
      "--target", "http://127.0.0.1:9/v1", "--model", "m1", "--header", "x-team: storm", "--clients", "3", "--cycles", "2",
      "--max-concurrent", "5", "--think-time", "0.5", "--timeout", "30", "--seed", "7", "--threshold", "ttft.p95<2500ms", "--no-save", "--quiet",
    ]);
    assert.deepEqual(await configFromCommandLine([], env), fromCli);
  });
});

describe("a protocol takes only its own settings", () => {
  test("settingsOf picks a voice driver's settings out of the run's; create() takes that type, not the run config", async () => {
    const config = await configFromCommandLine(["--protocol", "grpc-voice", "--clients", "2", "--cycles", "3", "--seed", "4", "--speech-pacing", "realtime", "--no-save", "--quiet"]);
    const settings = grpcVoice.settingsOf!(config);
    assert.deepEqual(settings, {
      audioDir: null, quiet: true, turnDetection: "server_vad", toolLatencyMs: config.voice.toolLatencyMs,
      speechPacing: "realtime", seed: 4, requestsPerSession: 3, service: {},
    });
    const { service: _service, ...voiceOnly } = settings;
    assert.deepEqual(realtime.settingsOf!(config), voiceOnly);
    // Checked by the compiler: the whole run config is not a protocol's settings.
    const wrong = (): unknown =>
      // @ts-expect-error create() takes GrpcVoiceDriverSettings, not RunConfig
      grpcVoice.create(driverOptions("http://127.0.0.1:9"), config);
    assert.equal(typeof wrong, "function");
  });
});

describe("TOKENSTORM_* environment variables", () => {
  test("sit under the command line and the config file, over seed 000's names and the defaults", async () => {
    const dir = tempDir();
    const yaml = join(dir, "run.yaml");
    writeFileSync(yaml, "cycles: 4\n");
    assert.equal((await configFromCommandLine([], { TOKENSTORM_CLIENTS: "3" })).clients, 3);
    assert.equal((await configFromCommandLine(["--clients", "2"], { TOKENSTORM_CLIENTS: "3" })).clients, 2);
    assert.equal((await configFromCommandLine(["--config", yaml], { TOKENSTORM_CYCLES: "9" })).cycles, 4);
    assert.equal((await configFromCommandLine([], { TOKENSTORM_CLIENTS: "3", NUM_CLIENTS: "7" })).clients, 3);
    assert.equal((await configFromCommandLine([], { NUM_CLIENTS: "7" })).clients, 7);
    assert.equal((await configFromCommandLine([], {})).clients, 10);
    // A load model chosen on the command line replaces the environment's.
    const open = await configFromCommandLine(["--pattern", "constant", "--rps", "5", "--duration", "1"], { TOKENSTORM_CLIENTS: "3" });
    assert.deepEqual(open.pattern?.name, "constant");
  });

  test("bad values are reported together, each naming its variable", async () => {
    const lines = await usageLines(() => configFromCommandLine(["--cycles", "x"], { TOKENSTORM_CLIENTS: "many", TOKENSTORM_QUIET: "maybe" }));
    const text = lines.join("\n");
    assert.match(text, /environment variable TOKENSTORM_CLIENTS must be a positive integer \(got "many"\)/);
    assert.match(text, /environment variable TOKENSTORM_QUIET must be true or false \(got "maybe"\)/);
    assert.match(text, /--cycles must be a positive integer \(got "x"\)/);
  });

  test("TOKENSTORM_CLIENTS=3 tokenstorm run runs 3 clients; --clients overrides it; a bad value is exit 2 naming it", async () => {
    const cwd = tempDir();
    const env = { TOKENSTORM_CLIENTS: "3", TOKENSTORM_CYCLES: "1", TOKENSTORM_DELAY: "0.001", TOKENSTORM_LENGTH: "5" };
    const three = await runCli(["run", "--out", "r.json", "--no-save", "--quiet"], { cwd, env });
    assert.equal(three.code, 0, three.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 3);
    assert.equal(report.config.clients, 3);
    const two = await runCli(["run", "--clients", "2", "--out", "r.json", "--no-save", "--quiet"], { cwd, env });
    assert.equal(two.code, 0, two.stderr);
    assert.equal((JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report).summary.requests, 2);
    const bad = await runCli(["run", "--no-save"], { cwd, env: { TOKENSTORM_MAX_CONCURRENT: "0" } });
    assert.equal(bad.code, 2);
    assert.deepEqual(bad.stderr.trim().split("\n"), ['tokenstorm: environment variable TOKENSTORM_MAX_CONCURRENT must be a positive integer (got "0")']);
  });
});

describe("every problem at once", () => {
  const BAD = 'target: http://127.0.0.1:1\nclients: -4\npattern: zigzag\nrps: "fast"\n';

  test("in a --config file: one file:line:col line each, rps included", async () => {
    const dir = tempDir();
    const yaml = join(dir, "bad.yaml");
    writeFileSync(yaml, BAD);
    const lines = await usageLines(() => configFromCommandLine(["--config", yaml]));
    assert.deepEqual(lines, [
      `${yaml}:2:10 clients: must be a positive integer (got "-4")`,
      `${yaml}:2:10 clients: is for the closed model and does not apply to --pattern zigzag`,
      `${yaml}:3:10 pattern: unknown pattern "zigzag" (known: constant, poisson, ramp, burst, spike, chaos, steps)`,
      `${yaml}:4:6 rps: must be a number >= 0 (got "fast")`,
    ]);
  });

  test("on the command line: each problem names its flag", async () => {
    const text = (await usageLines(() => configFromCommandLine(["--target", "http://127.0.0.1:1", "--clients", "-4", "--pattern", "zigzag", "--rps", "fast"]))).join("\n");
    for (const pattern of [/--clients must be a positive integer \(got "-4"\)/, /--pattern: unknown pattern "zigzag"/, /--rps must be a number >= 0 \(got "fast"\)/, /--clients is for the closed model/]) {
      assert.match(text, pattern);
    }
  });
});
