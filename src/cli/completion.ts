// `tokenstorm completion bash|zsh|fish`: prints a completion script for the shell (commands, flags,
// protocol and scenario names), written from the command tree when it runs.
import type { Command } from "commander";
import { UsageError } from "../errors.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

function isShell(name: string): name is Shell {
  return (SHELLS as readonly string[]).includes(name);
}

export function registerCompletionCommand(program: Command): Command {
  return program
    .command("completion")
    .description("print a shell completion script: commands, flags, protocol and scenario names")
    .argument("<shell>", `the shell: ${SHELLS.join(", ")}`)
    .action(async (shell: string) => {
      if (!isShell(shell)) throw new UsageError(`completion: unknown shell "${shell}" (known: ${SHELLS.join(", ")})`);
      const { completionScript } = await import("./completion-script.js");
      // The script lists every command's flags, so every command is loaded here.
      const { buildProgram } = await import("./program.js");
      process.stdout.write(completionScript(shell, await buildProgram(() => true)));
    });
}
