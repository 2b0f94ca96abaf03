// Run flags from environment variables, k6's K6_* convention: every `tokenstorm run` flag can be
// given as TOKENSTORM_<FLAG> (--max-concurrent: TOKENSTORM_MAX_CONCURRENT, --no-save:
// TOKENSTORM_NO_SAVE=1). They sit under the command line, the config file and a named scenario, and
// over seed 000's names (NUM_CLIENTS...) and the defaults; a bad value is reported naming the variable.
import type { EnvironmentLayer, RawRunFlags } from "./run-types.js";
import { underneath } from "./scenarios.js";

/** One `run` flag as the environment layer needs it. */
export interface EnvFlagSpec {
  attribute: string;
  /** The long flag as typed, `--no-save` for a negated switch. */
  flag: string;
  kind: "value" | "list" | "switch";
  negate: boolean;
}

export const ENV_PREFIX = "TOKENSTORM_";

/** `--max-concurrent` -> TOKENSTORM_MAX_CONCURRENT. */
export function environmentVariableOf(flag: string): string {
  return ENV_PREFIX + flag.replace(/^--/, "").toUpperCase().replace(/-/g, "_");
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/** The flags set by TOKENSTORM_* variables; list flags take one value per line. */
export function readEnvironmentLayer(specs: readonly EnvFlagSpec[], env: NodeJS.ProcessEnv): EnvironmentLayer {
  const layer: EnvironmentLayer = { flags: {}, variables: {}, problems: [] };
  for (const spec of specs) {
    const variable = environmentVariableOf(spec.flag);
    const raw = env[variable];
    if (raw === undefined || raw.trim() === "") continue;
    if (spec.kind === "switch") {
      const word = raw.trim().toLowerCase();
      if (!TRUE.has(word) && !FALSE.has(word)) {
        layer.problems.push(`environment variable ${variable} must be true or false (got "${raw}")`);
        continue;
      }
      layer.flags[spec.attribute] = TRUE.has(word) !== spec.negate;
    } else if (spec.kind === "list") {
      layer.flags[spec.attribute] = raw.split("\n").map((line) => line.trim()).filter((line) => line !== "");
    } else {
      layer.flags[spec.attribute] = raw.trim();
    }
    layer.variables[spec.attribute] = { flag: spec.flag.replace(/^--no-/, "--"), variable };
  }
  return layer;
}

/** The flags with the environment layer underneath, and which of them came from it. */
export function applyEnvironment(flags: RawRunFlags, layer: EnvironmentLayer | undefined): { flags: RawRunFlags; fromEnvironment: Set<string> } {
  if (!layer) return { flags, fromEnvironment: new Set() };
  const merged = underneath(layer.flags as Partial<RawRunFlags>, flags);
  const fromEnvironment = new Set(Object.keys(layer.flags).filter((attribute) => attribute in merged && (flags as Record<string, unknown>)[attribute] === undefined));
  return { flags: merged, fromEnvironment };
}

/** Problem lines about a value that came from the environment name its variable instead of its flag. */
export function nameVariables(lines: readonly string[], fromEnvironment: ReadonlySet<string>, layer: EnvironmentLayer | undefined): string[] {
  if (!layer || fromEnvironment.size === 0) return [...lines];
  return lines.map((line) => {
    for (const attribute of fromEnvironment) {
      const { flag, variable } = layer.variables[attribute]!;
      const at = new RegExp(`^${flag}(?![a-z0-9-])`);
      if (at.test(line)) return line.replace(at, `environment variable ${variable}`);
    }
    return line;
  });
}
