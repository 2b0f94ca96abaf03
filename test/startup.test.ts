// Start-up weight: `--version` and `--help` load only the command line itself, and every command
// still describes itself at the top level the way its own module does.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { Command } from "commander";
import { COMMANDS } from "../src/cli/commands.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { lightWarmUp, plannedRequests } from "../src/engine/warm-up-rule.js";
import { loadProtocol, PROTOCOL_NAMES } from "../src/protocols/names.js";
import { PROTOCOLS } from "../src/protocols/registry.js";
import { CLI, tempDir } from "./helpers/cli.js";

const COUNTER = fileURLToPath(new URL("./helpers/load-counter.js", import.meta.url));
/** The acceptance bound of issue 16 / 14: `--version` loads fewer files than this. */
const MAX_FILES_FOR_VERSION = 150;
const HEAVY = ["node_modules/redis", "node_modules/@redis/", "node_modules/@grpc/", "node_modules/undici/", "node_modules/ws/", "node_modules/yaml/", "node_modules/zod/"];

async function loadedFiles(args: string[]): Promise<{ code: number | null; stdout: string; files: string[] }> {
  const dir = tempDir();
  const out = join(dir, "loaded.txt");
  const child = spawn(process.execPath, ["--import", COUNTER, CLI, ...args], {
    env: { ...process.env, TOKENSTORM_LOADED_FILES: out },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const lines = readFileSync(out, "utf8");
  rmSync(dir, { recursive: true, force: true });
  const files = [...new Set(lines.split("\n").filter((line) => line.endsWith(".js") || line.endsWith(".mjs") || line.endsWith(".cjs")))];
  return { code, stdout, files };
}

describe("start-up weight", () => {
  it(`--version loads under ${MAX_FILES_FOR_VERSION} JavaScript files and no protocol client, Redis or gRPC`, async () => {
    const { code, stdout, files } = await loadedFiles(["--version"]);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    // The hook itself counts: the CLI's own files are there, so the count is not vacuous.
    assert.ok(files.some((file) => file.endsWith(join("src", "cli", "main.js"))), files.join("\n"));
    assert.ok(files.length < MAX_FILES_FOR_VERSION, `${files.length} files:\n${files.join("\n")}`);
    for (const heavy of HEAVY) assert.ok(!files.some((file) => file.includes(heavy)), `--version loaded ${heavy}`);
  });

  it("--help lists every visible command without loading them", async () => {
    const { code, stdout, files } = await loadedFiles(["--help"]);
    assert.equal(code, 0);
    for (const entry of COMMANDS.filter((command) => !command.hidden)) assert.match(stdout, new RegExp(`^  ${entry.name}\\b`, "m"));
    for (const heavy of HEAVY) assert.ok(!files.some((file) => file.includes(heavy)), `--help loaded ${heavy}`);
    assert.ok(!files.some((file) => file.endsWith(join("src", "cli", "run.js"))), "--help loaded the run command");
  });

  it("a command loads its own module only when it runs", async () => {
    const { code, files } = await loadedFiles(["scenarios"]);
    assert.equal(code, 0);
    assert.ok(files.some((file) => file.endsWith(join("src", "cli", "scenarios.js"))));
    assert.ok(!files.some((file) => file.endsWith(join("src", "cli", "emulate.js"))));
    assert.ok(!files.some((file) => file.includes("node_modules/@redis/")));
  });

  it("a one-request run loads its own protocol driver only, no config-file reader, and serves the emulator on its own thread", async () => {
    const { code, files } = await loadedFiles(["run", "--requests", "1", "--no-save", "--quiet"]);
    assert.equal(code, 0);
    assert.ok(files.some((file) => file.endsWith(join("src", "protocols", "openai", "client.js"))), files.join("\n"));
    for (const other of ["anthropic", "ollama", "ndjson", "realtime", "session", "grpc-voice"]) {
      assert.ok(!files.some((file) => file.includes(join("src", "protocols", other, "client.js"))), `the run loaded the ${other} driver`);
    }
    // A light run's emulator is on the run's thread (src/engine/embedded.ts): no worker thread starts.
    assert.ok(files.some((file) => file.endsWith(join("src", "emulator", "server.js"))), "the one-request run did not serve the emulator on its own thread");
    assert.ok(!files.some((file) => file.endsWith(join("src", "emulator", "worker.js"))), "the one-request run started an emulator thread");
    // zod is the run's settings model (src/config/run-settings.ts), by its v3 API: zod 4's own loads every
    // message locale (README, dependencies). The YAML reader waits for a --config file.
    assert.ok(files.some((file) => file.includes(join("node_modules", "zod", "v3"))), "the run did not load zod/v3");
    assert.ok(!files.some((file) => file.includes(join("node_modules", "zod", "v4"))), "the run loaded zod 4's own API");
    for (const heavy of ["node_modules/redis", "node_modules/@grpc/", "node_modules/ws/", "node_modules/yaml/"]) {
      assert.ok(!files.some((file) => file.includes(heavy)), `the run loaded ${heavy}`);
    }
  });

  it("a run of three requests serves the emulator on a worker thread and warms its driver there", async () => {
    const { code, files } = await loadedFiles(["run", "--requests", "3", "--no-save", "--quiet"]);
    assert.equal(code, 0);
    // The driver warms up on the emulator thread's scratch emulator: this thread loads no emulator.
    assert.ok(files.some((file) => file.endsWith(join("src", "emulator", "worker.js"))), files.join("\n"));
    assert.ok(!files.some((file) => file.endsWith(join("src", "emulator", "server.js"))), "the run loaded the emulator on its own thread");
  });

  it("the protocols loaded on demand are the registry's, by the same names in the same order", async () => {
    assert.deepEqual(PROTOCOL_NAMES, PROTOCOLS.map((protocol) => protocol.name));
    for (const protocol of PROTOCOLS) assert.equal(await loadProtocol(protocol.name), protocol, protocol.name);
  });

  it("runs planned under 3 requests get the light warm-up; bigger or unbounded runs the full one", () => {
    const config = (flags: Record<string, string>) => resolveRunConfig({ save: false, ...flags }, {});
    assert.equal(plannedRequests(config({ requests: "1" })), 1);
    assert.equal(plannedRequests(config({ clients: "1", cycles: "2" })), 2);
    assert.equal(plannedRequests(config({ clients: "10", cycles: "5", requests: "2" })), 2);
    assert.equal(plannedRequests(config({ pattern: "constant", rps: "5", duration: "1" })), null);
    assert.equal(lightWarmUp(config({ requests: "2" })), true);
    assert.equal(lightWarmUp(config({ clients: "1", cycles: "1" })), true);
    assert.equal(lightWarmUp(config({ requests: "3" })), false);
    assert.equal(lightWarmUp(config({})), false, "seed 000's default run: 10 clients x 1 cycle");
    assert.equal(lightWarmUp(config({ pattern: "constant", rps: "5", duration: "1" })), false);
  });

  it("each command's top-level summary is the description its module gives it", async () => {
    for (const entry of COMMANDS) {
      const program = new Command();
      (await entry.register())(program);
      const command = program.commands.find((candidate) => candidate.name() === entry.name);
      assert.ok(command, `${entry.name} registers a command of that name`);
      assert.equal(command.description(), entry.summary, entry.name);
    }
  });
});
