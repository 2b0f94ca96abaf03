// The emulator's settings schema (src/emulator/settings.ts) against the `emulate` command and
// startEmulator: every field is a flag of the command with help and a default, every bad flag is
// reported at once by name, both ways in apply the same rules and defaults, and the embedded
// emulator's threads never reach zod.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { emulateOptionsFromFlags, registerEmulateCommand } from "../src/cli/emulate.js";
import { describeSettings, parseSettings } from "../src/config/settings.js";
import { Problems } from "../src/config/values.js";
import { type EmulatorOptions, NUMERIC_OPTION_RULES, resolveOptions, type ResolvedOptions } from "../src/emulator/options.js";
import { emulatorSettings } from "../src/emulator/settings.js";
import { importGraph, staticSpecifiers } from "./helpers/import-graph.js";

const SRC = resolve(fileURLToPath(import.meta.url), "../../../src");
const FIELDS = describeSettings(emulatorSettings);

/**
 * `emulate` flags that take a value but are not emulator settings: the process layout is the
 * command's, the voice agent's flags are its own module's, and these build one option from a file
 * or the environment rather than carry a value.
 */
const NOT_SETTINGS = /^--(workers|instances|voice-.*|api-key-env|tls-cert|tls-key|tls-client-ca)$/;

function emulateCommand(): Command {
  return registerEmulateCommand(new Command());
}

/** The flags commander hands the action for `tokenstorm emulate ARGS`. */
async function parsedFlags(args: string[]): Promise<Record<string, unknown>> {
  const program = new Command().exitOverride();
  let flags: Record<string, unknown> = {};
  registerEmulateCommand(program).action((parsed: Record<string, unknown>) => {
    flags = parsed;
  });
  await program.parseAsync(["emulate", ...args], { from: "user" });
  return flags;
}

describe("emulator settings", () => {
  test("every field is an emulate flag whose help is the field's description and default", () => {
    const options = new Map(emulateCommand().options.map((option) => [option.long, option]));
    assert.ok(FIELDS.length >= 30, `${FIELDS.length} fields`);
    for (const { key, flag, description, default: fixed } of FIELDS) {
      const option = options.get(flag);
      assert.ok(option, `${key}: ${flag} is not an option of emulate`);
      assert.ok(description.trim().length > 0, `${key} has no description`);
      assert.ok(option.description.startsWith(description), `${flag}'s help is not its field's description`);
      if (fixed !== undefined && typeof fixed !== "boolean") assert.match(option.description, /\(default [^)]+\)$/, `${flag}'s help shows no default`);
    }
  });

  test("every emulate flag that takes a value is a field, unless it is someone else's", () => {
    const fieldFlags = new Set(FIELDS.map((field) => field.flag));
    const valued = emulateCommand().options.filter((option) => option.required || option.optional).map((option) => option.long!);
    const missing = valued.filter((flag) => !NOT_SETTINGS.test(flag) && !fieldFlags.has(flag));
    assert.deepEqual(missing, []);
    for (const option of Object.keys(NUMERIC_OPTION_RULES)) assert.ok(FIELDS.some((field) => field.key === option), `numeric option ${option} is no field`);
  });

  test("each default is the one startEmulator applies", () => {
    const resolved = resolveOptions({ seed: 1 });
    for (const { key, default: fixed } of FIELDS) {
      if (fixed === undefined || !(key in resolved)) continue;
      assert.deepEqual(resolved[key as keyof ResolvedOptions], fixed, key);
    }
  });

  test("bad values for several flags are all reported in one error, each naming its flag", () => {
    const flags = { port: "70000", ttftMs: "soon", jitter: "2", text: "poetry", errorStatus: "200", model: " ", slowClientMs: "-1", decodeMsPer1kKv: "5", grpcUnavailableRate: "0.5" };
    assert.throws(
      () => emulateOptionsFromFlags(flags),
      (err: Error) => {
        assert.equal(err.name, "UsageError");
        const lines = err.message.split("; ");
        assert.deepEqual(lines, [
          '--port must be an integer from 0 to 65535 (got "70000")',
          '--ttft-ms must be a number >= 0 (got "soon")',
          '--jitter must be a number from 0 to 1 (got "2")',
          '--text must be one of lorem, echo, counter (got "poetry")',
          '--error-status must be a list of HTTP statuses from 400 to 599 (got "200")',
          '--model must not be empty (got " ")',
          '--slow-client-ms must be a number >= 0 (got "-1")',
          "--decode-ms-per-1k-kv needs --kv-cache-tokens",
          "--grpc-unavailable-rate needs --grpc-port",
        ]);
        return true;
      },
    );
    assert.throws(() => emulateOptionsFromFlags({ errorRate: "0.6", truncateRate: "0.5", length: "200", maxRequestTokens: "100" }), {
      message: "--error-rate, --disconnect-rate and --truncate-rate must add up to at most 1; --length must be at most --max-request-tokens (100)",
    });
  });

  test("startEmulator's options meet the same rules, named as options", () => {
    const cases: Array<[EmulatorOptions, string]> = [
      [{ port: 70000 }, "emulator option port must be an integer from 0 to 65535 (got 70000)"],
      [{ blockSize: 0.5 }, "emulator option blockSize must be an integer >= 1 (got 0.5)"],
      [{ decodeMsPer1kKv: 5 }, "emulator option decodeMsPer1kKv needs kvCacheTokens"],
      [{ grpcUnavailableRate: 0.5 }, "emulator option grpcUnavailableRate needs grpcPort"],
      [{ errorRate: 0.6, disconnectRate: 0.6 }, "emulator options errorRate, disconnectRate and truncateRate must add up to at most 1"],
      [{ length: 200, maxRequestTokens: 100 }, "emulator option length must be at most maxRequestTokens (100)"],
    ];
    for (const [options, message] of cases) assert.throws(() => resolveOptions(options), { name: "UsageError", message });
    // The schema takes the API's numbers too, and rejects what resolveOptions rejects.
    const problems = new Problems();
    parseSettings(emulatorSettings, { port: 70000, blockSize: 0.5, errorStatuses: [200] }, problems);
    assert.deepEqual(problems.lines, [
      '--port must be an integer from 0 to 65535 (got "70000")',
      '--error-status must be a list of HTTP statuses from 400 to 599 (got "[200]")',
      '--block-size must be an integer >= 1 (got "0.5")',
    ]);
  });

  test("a good value for every flag gives the emulator options it always did", async () => {
    const args = [
      ["--host", "0.0.0.0"], ["--port", "0"], ["--ttft-ms", "5"], ["--itl-ms", "2.5"], ["--jitter", "0.1"], ["--length", "50"],
      ["--max-request-tokens", "1000"], ["--text", "echo"], ["--error-rate", "0.1"], ["--error-status", "500,503"],
      ["--disconnect-rate", "0.05"], ["--truncate-rate", "0.05"], ["--max-running", "8"], ["--max-waiting", "32"],
      ["--slowdown-under-load", "0.05"], ["--extra-delay-ms", "1"], ["--prefill-ms-per-1k", "50"], ["--prefix-cache-tokens", "100000"],
      ["--block-size", "32"], ["--kv-cache-tokens", "200000"], ["--decode-ms-per-1k-kv", "0.5"], ["--reasoning-tokens", "20"],
      ["--tool-call-rate", "0.5"], ["--tokenizer", "o200k_base"], ["--seed", "42"], ["--model", "m1"], ["--ndjson"], ["--session"],
      ["--grpc-port", "0"], ["--grpc-unavailable-rate", "0.2"], ["--slow-client-ms", "1000"], ["--http2"],
    ];
    assert.deepEqual(new Set(args.map(([flag]) => flag)), new Set(FIELDS.map((field) => field.flag)), "the case sets every field");
    const options = emulateOptionsFromFlags(await parsedFlags(args.flat()));
    assert.deepEqual(options, {
      host: "0.0.0.0",
      port: 0,
      ttftMs: 5,
      itlMs: 2.5,
      jitter: 0.1,
      length: 50,
      maxRequestTokens: 1000,
      text: "echo",
      errorRate: 0.1,
      errorStatuses: [500, 503],
      disconnectRate: 0.05,
      truncateRate: 0.05,
      maxRunning: 8,
      maxWaiting: 32,
      slowdownUnderLoad: 0.05,
      extraDelayPerTokenMs: 1,
      prefillMsPer1k: 50,
      prefixCacheTokens: 100000,
      blockSize: 32,
      kvCacheTokens: 200000,
      decodeMsPer1kKv: 0.5,
      reasoningTokens: 20,
      toolCallRate: 0.5,
      tokenizer: "o200k_base",
      seed: 42,
      model: "m1",
      ndjsonCompletions: true,
      session: true,
      grpcPort: 0,
      grpcUnavailableRate: 0.2,
      slowClientLimitMs: 1000,
      http2: true,
    });
    assert.doesNotThrow(() => resolveOptions(options));
    assert.deepEqual(emulateOptionsFromFlags(await parsedFlags([])), {});
  });

  test("the embedded emulator's thread and fleet workers import nothing that imports zod", () => {
    // zod costs each isolate about 5 MB; type-only imports count here too, so the check errs on the safe side.
    const graph = importGraph(SRC);
    for (const entry of ["emulator/worker-entry.ts", "emulator/fleet-worker.ts"]) {
      const reached = new Set<string>();
      const visit = (file: string): void => {
        if (reached.has(file)) return;
        reached.add(file);
        for (const next of graph.get(file) ?? []) visit(next);
      };
      visit(entry);
      assert.ok(reached.has("emulator/server.ts"), `${entry} reaches the emulator`);
      const zodUsers = [...reached].filter((file) => staticSpecifiers(resolve(SRC, file)).some((specifier) => specifier === "zod" || specifier.startsWith("zod/")));
      assert.deepEqual(zodUsers, [], `${entry} reaches zod`);
    }
  });
});
