// "Did you mean" for an unknown flag that only ever points at a flag with the same meaning. Commander
// proposes the nearest spelling, and the nearest spelling can mean something else (`--host` is not
// `--hold`). A flag typed on purpose — another command's, or another load tester's — is answered
// with our flag of the same meaning, or with none; commander's guess is kept for plain typos.
import type { Command } from "commander";

/** Other tools' flags (k6, Locust, vLLM `bench serve`, GuideLLM) and other commands' flags, by what they mean here. */
const SAME_MEANING: Readonly<Record<string, string>> = {
  "--vus": "--clients",
  "--num-clients": "--clients",
  "--iterations": "--requests",
  "--num-prompts": "--requests",
  "--max-requests": "--requests",
  "--max-concurrency": "--max-concurrent",
  "--request-rate": "--rps",
  "--rate": "--rps",
  "--rates": "--rps",
  "--run-time": "--duration",
  "--max-seconds": "--duration",
  "--base-url": "--target",
  "--url": "--target",
  "--host": "--target",
  "--server": "--target",
  "--dataset-path": "--dataset",
  "--output-len": "--length",
  "--max-tokens": "--length",
  "--tokens": "--length",
  "--tail": "--lines",
  "--summary-export": "--out",
  "--json": "--out",
  "--output-json": "--out",
  "--slo": "--threshold",
  "--ttft-ms": "--ttft",
  "--itl-ms": "--delay",
};

/** Flags of every command: a word typed on purpose, never a typo of a nearby one. */
function allLongFlags(program: Command): Set<string> {
  const flags = new Set<string>();
  const visit = (command: Command): void => {
    for (const option of command.options) if (option.long) flags.add(option.long);
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  return flags;
}

/** The (sub)command the words on the command line name: `cluster logs ...` is `cluster logs`. */
export function commandOfArgs(program: Command, args: readonly string[]): Command {
  let command = program;
  for (const word of args) {
    if (word.startsWith("-")) continue;
    const sub = command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (!sub) break;
    command = sub;
  }
  return command;
}

/** Commander's unknown-option message with its suggestion replaced by one of the same meaning, or dropped. */
export function unknownFlagMessage(message: string, program: Command, args: readonly string[]): string {
  const match = /^(?:error: )?unknown option '([^']+)'/.exec(message);
  if (!match) return message;
  const flag = match[1]!;
  const command = commandOfArgs(program, args);
  const own = new Set(command.options.map((option) => option.long).filter((long): long is string => long !== undefined));
  const base = `unknown option '${flag}'`;
  const sameMeaning = SAME_MEANING[flag];
  if (sameMeaning !== undefined && own.has(sameMeaning)) return `${base} (did you mean ${sameMeaning}?)`;
  // A real flag of another command, or another tool's, is not a typo: its nearest spelling may mean anything.
  if (sameMeaning !== undefined || allLongFlags(program).has(flag)) return base;
  const guess = /\(Did you mean (--?[\w-]+)\?\)/.exec(message)?.[1];
  return guess === undefined ? base : `${base} (did you mean ${guess}?)`;
}
