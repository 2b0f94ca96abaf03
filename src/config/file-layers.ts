// A config file merged into the run's flags — command line > the chosen file scenario > the file's
// top-level keys > a built-in scenario > environment variables > defaults — and each problem of the
// merged flags pointed back at the file line that set the value.
import type { ConfigFile, ConfigKey, FileOrigin, FileProblem, FlagLayer } from "./file.js";
import type { RawRunFlags } from "./run-config.js";

export interface MergedFlags {
  flags: RawRunFlags;
  /** Where each flag taken from the file was written. */
  origins: Map<string, FileOrigin>;
  /** The file scenario that was applied, if any. */
  fileScenario: string | null;
  /** A file scenario that includes itself through `scenario:` (directly or through others), named with its cycle. */
  cycle: FileProblem | null;
}

/**
 * The file scenarios a chosen one builds on, the chosen one first: each may name another file scenario
 * (or a built-in one, which ends the chain) under `scenario:`. A name met twice is a cycle.
 */
function scenarioChain(file: ConfigFile, chosen: string): { chain: string[]; cycle: FileProblem | null } {
  const chain: string[] = [];
  let name: string | undefined = chosen;
  while (name !== undefined && file.scenarios.has(name)) {
    if (chain.includes(name)) {
      const from = chain.at(-1)!;
      const origin = file.scenarios.get(from)!.origins.get("scenario");
      const text = `scenario "${name}" includes itself: ${[...chain.slice(chain.indexOf(name)), name].join(" -> ")}`;
      const cycle = origin ? { line: origin.line, col: origin.col, text: `${origin.location} ${origin.path}: ${text}` } : { line: 0, col: 0, text: `${file.path}: ${text}` };
      return { chain, cycle };
    }
    chain.push(name);
    name = file.scenarios.get(name)!.flags.scenario as string | undefined;
  }
  return { chain, cycle: null };
}

function apply(target: Record<string, unknown>, origins: Map<string, FileOrigin>, layer: FlagLayer): void {
  for (const [attribute, value] of Object.entries(layer.flags)) {
    target[attribute] = value;
    const origin = layer.origins.get(attribute);
    if (origin) origins.set(attribute, origin);
    else origins.delete(attribute);
  }
}

/**
 * `cli` holds only the flags the user typed. A scenario name (command line first, then the file's
 * `scenario:`) picks one of the file's scenarios; a name the file does not define stays in the flags
 * for the built-in scenarios. A file scenario may itself name another file scenario, or a built-in one,
 * to build on.
 */
export function mergeConfigFile(cli: RawRunFlags, file: ConfigFile): MergedFlags {
  const { scenario: cliScenario, ...cliRest } = cli;
  const chosen = cliScenario ?? (file.top.flags.scenario as string | undefined);
  const { chain, cycle } = chosen === undefined ? { chain: [], cycle: null } : scenarioChain(file, chosen);
  const fileLayer = chain.length > 0;
  const flags: Record<string, unknown> = {};
  const origins = new Map<string, FileOrigin>();
  apply(flags, origins, file.top);
  if (fileLayer) {
    delete flags.scenario;
    origins.delete("scenario");
    // The deepest base first, so the chosen scenario's own values win.
    for (const name of [...chain].reverse()) apply(flags, origins, file.scenarios.get(name)!);
    // Only the deepest base's `scenario:` can be left: a built-in scenario under the whole chain.
    const deepest = file.scenarios.get(chain.at(-1)!)!;
    delete flags.scenario;
    origins.delete("scenario");
    if (!cycle && deepest.flags.scenario !== undefined) {
      flags.scenario = deepest.flags.scenario;
      const origin = deepest.origins.get("scenario");
      if (origin) origins.set("scenario", origin);
    }
  } else if (cliScenario !== undefined) {
    flags.scenario = cliScenario;
    origins.delete("scenario");
  }
  for (const [attribute, value] of Object.entries(cliRest)) {
    if (value === undefined) continue;
    flags[attribute] = value;
    origins.delete(attribute);
  }
  return { flags: flags as RawRunFlags, origins, fileScenario: fileLayer ? chosen! : null, cycle };
}

/** `max-concurrent` for `--max-concurrent`, and the attribute it sets. */
function attributeOfFlag(flag: string, keys: readonly ConfigKey[]): string | undefined {
  return keys.find((k) => k.key === flag || `no-${k.key}` === flag)?.attribute ?? (flag === "scenario" ? "scenario" : undefined);
}

/**
 * Split problem lines (as resolveRunConfig words them, naming `--flag` first) into those about a value
 * from the file, re-worded as `file:line:col path: message`, and the rest, left as they are.
 */
export function locateProblems(
  lines: readonly string[],
  origins: ReadonlyMap<string, FileOrigin>,
  keys: readonly ConfigKey[],
): { located: FileProblem[]; other: string[] } {
  const located: FileProblem[] = [];
  const other: string[] = [];
  for (const line of lines) {
    const flag = /--([a-z][a-z0-9-]*)/.exec(line)?.[1];
    const attribute = flag === undefined ? undefined : attributeOfFlag(flag, keys);
    const origin = attribute === undefined ? undefined : origins.get(attribute);
    if (!origin) {
      other.push(line);
      continue;
    }
    const message = line.startsWith(`--${flag}`) ? line.slice(flag!.length + 2).replace(/^:?\s*/, "") : line;
    located.push({ line: origin.line, col: origin.col, text: `${origin.location} ${origin.path}: ${message}` });
  }
  return { located, other };
}

/** File problems in file order, one per line. */
export function sortProblems(problems: readonly FileProblem[]): string[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col).map((p) => p.text);
}
