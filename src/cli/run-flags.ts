// The flags a `tokenstorm run` gets: the ones typed on the command line (commander's defaults left
// out, so they cannot mask a config file), over a `--config` file, checked together so that every
// problem is reported at once, each one from the file as `file:line:col path: message`.
import type { Command, Option } from "commander";
import { UsageError } from "../errors.js";
import type { ConfigKey, ConfigKeyKind } from "../config/file.js";
import { readEnvironmentLayer, type EnvFlagSpec } from "../config/environment.js";
import type { RawRunFlags } from "../config/run-config.js";
import { collect } from "./repeatable.js";

/** Options that are about the command line itself, not the run. */
const NOT_IN_FILES = new Set(["--config", "--help", "--version"]);

function kindOf(option: Option): ConfigKeyKind {
  if (option.negate || option.isBoolean()) return "switch";
  return option.variadic || option.parseArg === collect ? "list" : "value";
}

/** The keys a config file may hold: one per option of the command, named by its long flag. */
export function configKeysOf(command: Command): ConfigKey[] {
  return command.options
    .filter((option) => option.long !== undefined && !NOT_IN_FILES.has(option.long))
    .map((option) => ({
      key: option.negate ? option.long!.replace(/^--no-/, "") : option.long!.slice(2),
      attribute: option.attributeName(),
      kind: kindOf(option),
    }));
}

/** Every run flag that a TOKENSTORM_* variable may set (src/config/environment.ts). */
export function envFlagSpecsOf(command: Command): EnvFlagSpec[] {
  return command.options
    .filter((option) => option.long !== undefined && !NOT_IN_FILES.has(option.long))
    .map((option) => ({ attribute: option.attributeName(), flag: option.long!, kind: kindOf(option), negate: option.negate }));
}

/** Only values the user gave (command line or environment), never commander's defaults. */
export function explicitFlags(command: Command): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(command.opts())) {
    const source = command.getOptionValueSource(attribute);
    if (value !== undefined && source !== undefined && source !== "default") flags[attribute] = value;
  }
  return flags;
}

/** Flags with other spellings on the command line: `--concurrent N`, `--prompts short medium`. */
export interface SpelledFlags extends Omit<RawRunFlags, "prompts"> {
  concurrent?: string;
  prompts?: string | string[];
}

/**
 * The flags in the one spelling `resolveRunConfig` reads: `--concurrent` is `--max-concurrent`, and
 * prompt sets given as separate words (or a list in a file) are one comma-separated value.
 */
export function canonicalSpellings(flags: SpelledFlags, problems: string[]): RawRunFlags {
  const { concurrent, prompts, ...rest } = flags;
  const canonical: RawRunFlags = rest;
  if (prompts !== undefined) canonical.prompts = [prompts].flat().join(",").split(/[\s,]+/).filter(Boolean).join(",");
  if (concurrent !== undefined) {
    if (rest.maxConcurrent !== undefined && rest.maxConcurrent !== concurrent) problems.push("--max-concurrent and --concurrent are the same setting: give one of them");
    else canonical.maxConcurrent = concurrent;
  }
  return canonical;
}

/** The run's flags with `--config FILE` applied; throws one UsageError listing every problem, one per line. */
export async function runFlagsFromCommand(command: Command, env: NodeJS.ProcessEnv = process.env): Promise<RawRunFlags> {
  const { config: configPath, ...spelled } = explicitFlags(command) as SpelledFlags & { config?: string };
  const problems: string[] = [];
  const typed = canonicalSpellings(spelled, problems);
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  const environment = readEnvironmentLayer(envFlagSpecsOf(command), env);
  const cli: RawRunFlags = Object.keys(environment.variables).length + environment.problems.length > 0 ? { ...typed, environment } : typed;
  if (configPath === undefined) return cli;
  // The file's reader (YAML, zod) loads only when there is a file to read.
  const { loadRunConfigFile } = await import("./run-config-file.js");
  const merged = loadRunConfigFile(configPath, cli, configKeysOf(command), env);
  return { ...merged.flags, configFile: { path: configPath, scenario: merged.fileScenario } };
}

