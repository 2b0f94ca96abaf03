#!/usr/bin/env node
// The tokenstorm command line: registers one command per file and turns every failure into a
// one-line message and the contract's exit code (2 usage, 1 run failed), never a stack trace.
// Signals are caught first (src/early-signals.ts): Ctrl-C while the program loads must still end a
// run with its report and exit 1, not a bare 130.
import "../early-signals.js";
import { CommanderError, type Command } from "commander";
import { ExitCode, RunError, UsageError } from "../errors.js";
import { commandNamed } from "./commands.js";
import { buildProgram } from "./program.js";
import { unknownFlagMessage } from "./unknown-flag.js";

function fail(message: string, code: number): never {
  // A config file's problems come one per line, each with its own prefix.
  process.stderr.write(message.split("\n").map((line) => `tokenstorm: ${line}\n`).join(""));
  process.exit(code);
}

async function main(): Promise<void> {
  let program: Command | undefined;
  try {
    // Only the command being run is loaded, so --version and --help pay for nothing else.
    const chosen = commandNamed(process.argv.slice(2));
    program = await buildProgram((entry) => entry === chosen);
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        process.exit(0);
      }
      const message = err.code === "commander.unknownOption" && program ? unknownFlagMessage(err.message, program, process.argv.slice(2)) : err.message;
      fail(message.replace(/^error: /, ""), ExitCode.usage);
    }
    if (err instanceof UsageError) fail(err.message, ExitCode.usage);
    if (err instanceof RunError) fail(err.message, ExitCode.runFailed);
    const detail = process.env.TOKENSTORM_DEBUG ? `\n${(err as Error)?.stack ?? ""}` : "";
    fail(`${err instanceof Error ? err.message : String(err)}${detail}`, ExitCode.runFailed);
  }
}

void main();
