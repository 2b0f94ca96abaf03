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
 * for the built-in scenarios. A file scenario may itself name a built-in one to build on.
 */
export function mergeConfigFile(cli: RawRunFlags, file: ConfigFile): MergedFlags {
  const { scenario: cliScenario, ...cliRest } = cli;
  const chosen = cliScenario ?? (file.top.flags.scenario as string | undefined);
  const fileLayer = chosen === undefined ? undefined : file.scenarios.get(chosen);
  const flags: Record<string, unknown> = {};
  const origins = new Map<string, FileOrigin>();
  apply(flags, origins, file.top);
  if (fileLayer) {
    delete flags.scenario;
    origins.delete("scenario");
    apply(flags, origins, fileLayer);
  } else if (cliScenario !== undefined) {
    flags.scenario = cliScenario;
    origins.delete("scenario");
  }
  for (const [attribute, value] of Object.entries(cliRest)) {
    if (value === undefined) continue;
    flags[attribute] = value;
    origins.delete(attribute);
  }
  return { flags: flags as RawRunFlags, origins, fileScenario: fileLayer ? chosen! : null };
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
