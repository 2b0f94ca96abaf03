// The tokenstorm program: its commands (only the one being run is loaded, unless every one is asked
// for, as completion scripts need) and each command's help layout.
import { Command } from "commander";
import { VERSION } from "../version.js";
import { COMMANDS, type CommandEntry } from "./commands.js";
import { applyHelpLayouts } from "./help.js";
import { COMMAND_GROUPS, HELP_LAYOUTS } from "./help-layouts.js";

/**
 * The program with `load` commands registered in full and the others standing in by name and summary
 * for help and "did you mean" suggestions.
 */
export async function buildProgram(load: (entry: CommandEntry) => boolean): Promise<Command> {
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
  for (const entry of COMMANDS) {
    if (load(entry)) (await entry.register())(program);
    else program.command(entry.name, { hidden: entry.hidden ?? false }).description(entry.summary);
  }
  applyHelpLayouts(program, HELP_LAYOUTS, COMMAND_GROUPS);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ outputError: () => undefined });
  }
  return program;
}
