// `run --config FILE`: load the file, merge it under the command line's flags and check the result,
// every problem located at its line and column. Kept apart from run-flags.ts so that a run without
// a file never loads the YAML reader and zod.
import { UsageError } from "../errors.js";
import { loadConfigFile, type ConfigFile, type ConfigKey } from "../config/file.js";
import { SCENARIO_NAMES } from "../config/scenarios.js";
import { didYouMean } from "../config/suggest.js";
import { locateProblems, mergeConfigFile, sortProblems, type MergedFlags } from "../config/file-layers.js";
import { resolveRunConfig, RunConfigError, type RawRunFlags } from "../config/run-config.js";
import { checkProtocolName } from "../protocols/names.js";
import { canonicalSpellings, type SpelledFlags } from "./run-flags.js";

/** Problems of the merged flags as `run` would find them, before anything starts. */
function problemsOf(flags: RawRunFlags, env: NodeJS.ProcessEnv): string[] {
  try {
    checkProtocolName(resolveRunConfig(flags, env).protocol);
    return [];
  } catch (err) {
    if (err instanceof RunConfigError) return [...err.problems];
    if (err instanceof UsageError) return [err.message];
    throw err;
  }
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
