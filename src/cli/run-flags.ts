// The flags a `tokenstorm run` gets: the ones typed on the command line (commander's defaults left
// out, so they cannot mask a config file), over a `--config` file, checked together so that every
// problem is reported at once, each one from the file as `file:line:col path: message`.
import type { Command, Option } from "commander";
import { UsageError } from "../errors.js";
import { loadConfigFile, type ConfigFile, type ConfigKey, type ConfigKeyKind } from "../config/file.js";
import { readEnvironmentLayer, type EnvFlagSpec } from "../config/environment.js";
import { SCENARIO_NAMES } from "../config/scenarios.js";
import { didYouMean } from "../config/suggest.js";
import { locateProblems, mergeConfigFile, sortProblems, type MergedFlags } from "../config/file-layers.js";
import { resolveRunConfig, RunConfigError, type RawRunFlags } from "../config/run-config.js";
import { findProtocol } from "../protocols/registry.js";
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

/** Problems of the merged flags as `run` would find them, before anything starts. */
function problemsOf(flags: RawRunFlags, env: NodeJS.ProcessEnv): string[] {
  try {
    findProtocol(resolveRunConfig(flags, env).protocol);
    return [];
  } catch (err) {
    if (err instanceof RunConfigError) return [...err.problems];
    if (err instanceof UsageError) return [err.message];
    throw err;
  }
}

/** Flags with other spellings on the command line: `--concurrent N`, `--prompts short medium`. */
interface SpelledFlags extends Omit<RawRunFlags, "prompts"> {
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
export function runFlagsFromCommand(command: Command, env: NodeJS.ProcessEnv = process.env): RawRunFlags {
  const { config: configPath, ...spelled } = explicitFlags(command) as SpelledFlags & { config?: string };
  const problems: string[] = [];
  const typed = canonicalSpellings(spelled, problems);
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  const environment = readEnvironmentLayer(envFlagSpecsOf(command), env);
  const cli: RawRunFlags = Object.keys(environment.variables).length + environment.problems.length > 0 ? { ...typed, environment } : typed;
  if (configPath === undefined) return cli;
  const merged = loadRunConfigFile(configPath, cli, configKeysOf(command), env);
  return { ...merged.flags, configFile: { path: configPath, scenario: merged.fileScenario } };
}

/** A scenario name found neither in the file nor among the built-in ones, worded with both lists. */
function unknownScenario(merged: MergedFlags, file: ConfigFile, path: string): string | undefined {
  const name = merged.flags.scenario;
  if (name === undefined || merged.fileScenario !== null || SCENARIO_NAMES.includes(name)) return undefined;
  const inFile = [...file.scenarios.keys()];
  const where = `${path}: ${inFile.length > 0 ? inFile.join(", ") : "none"}; built in: ${SCENARIO_NAMES.join(", ")}`;
  return `--scenario: unknown scenario "${name}"${didYouMean(name, [...inFile, ...SCENARIO_NAMES])} (in ${where})`;
}

/** Load, merge and check a config file under the command-line flags `cli`. */
export function loadRunConfigFile(path: string, cli: RawRunFlags, keys: readonly ConfigKey[], env: NodeJS.ProcessEnv): MergedFlags {
  const { file, problems } = loadConfigFile(path, keys);
  const merged = mergeConfigFile(cli, file);
  const spellingProblems: string[] = [];
  merged.flags = canonicalSpellings(merged.flags as SpelledFlags, spellingProblems);
  if (merged.cycle) problems.push(merged.cycle);
  const scenarioProblem = unknownScenario(merged, file, path);
  if (scenarioProblem) {
    problems.push(...locateProblems([scenarioProblem], merged.origins, keys).located);
    if (!merged.origins.has("scenario")) problems.push({ line: 0, col: 0, text: scenarioProblem });
    delete merged.flags.scenario;
  }
  const { located, other } = locateProblems([...spellingProblems, ...problemsOf(merged.flags, env)], merged.origins, keys);
  const lines = [...sortProblems([...problems, ...located]), ...other];
  if (lines.length > 0) throw new UsageError(lines.join("\n"));
  return merged;
}
