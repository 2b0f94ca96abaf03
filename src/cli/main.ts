#!/usr/bin/env node
// The tokenstorm command line: registers one command per file and turns every failure into a
// one-line message and the contract's exit code (2 usage, 1 run failed), never a stack trace.
import { Command, CommanderError } from "commander";
import { ExitCode, RunError, UsageError } from "../errors.js";
import { VERSION } from "../version.js";
import { registerAudioCommand } from "./audio.js";
import { registerCompareCommand } from "./compare.js";
import { registerEmulateCommand } from "./emulate.js";
import { registerOverheadCommand } from "./overhead.js";
import { registerReportCommand } from "./report.js";
import { registerClusterCommand } from "./cluster.js";
import { registerNodeCommand } from "./node.js";
import { registerMergeCommand } from "./merge.js";
import { registerRunCommand } from "./run.js";
import { registerWorkerCommand } from "./worker.js";
import { registerScenariosCommand } from "./scenarios.js";
import { registerSweepCommand } from "./sweep.js";
import { registerMenuCommand } from "./menu.js";

function fail(message: string, code: number): never {
  // A config file's problems come one per line, each with its own prefix.
  process.stderr.write(message.split("\n").map((line) => `tokenstorm: ${line}\n`).join(""));
  process.exit(code);
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name("tokenstorm")
    .description("Load-test and benchmark streaming AI services, or emulate them.")
    .version(VERSION)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // Commander's own messages become our one-line usage errors.
      outputError: () => undefined,
    });
  registerRunCommand(program);
  registerScenariosCommand(program);
  registerSweepCommand(program);
  registerMenuCommand(program);
  registerEmulateCommand(program);
  registerAudioCommand(program);
  registerOverheadCommand(program);
  registerCompareCommand(program);
  registerMergeCommand(program);
  registerWorkerCommand(program);
  registerReportCommand(program);
  registerClusterCommand(program);
  registerNodeCommand(program);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ outputError: () => undefined });
  }
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        process.exit(0);
      }
      fail(err.message.replace(/^error: /, ""), ExitCode.usage);
    }
    if (err instanceof UsageError) fail(err.message, ExitCode.usage);
    if (err instanceof RunError) fail(err.message, ExitCode.runFailed);
    const detail = process.env.TOKENSTORM_DEBUG ? `\n${(err as Error)?.stack ?? ""}` : "";
    fail(`${err instanceof Error ? err.message : String(err)}${detail}`, ExitCode.runFailed);
  }
}

void main();
