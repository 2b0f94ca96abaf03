#!/usr/bin/env node
// The tokenstorm command line: registers one command per file and turns every failure into a
// one-line message and the contract's exit code (2 usage, 1 run failed), never a stack trace.
import { Command, CommanderError } from "commander";
import { ExitCode, RunError, UsageError } from "../errors.js";
import { VERSION } from "../version.js";
import { registerCompareCommand } from "./compare.js";
import { registerEmulateCommand } from "./emulate.js";
import { registerOverheadCommand } from "./overhead.js";
import { registerReportCommand } from "./report.js";
import { registerClusterCommand } from "./cluster.js";
import { registerNodeCommand } from "./node.js";
import { registerRunCommand } from "./run.js";
import { registerScenariosCommand } from "./scenarios.js";

function fail(message: string, code: number): never {
  process.stderr.write(`tokenstorm: ${message}\n`);
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
  registerEmulateCommand(program);
  registerOverheadCommand(program);
  registerCompareCommand(program);
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
