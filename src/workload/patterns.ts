// The open-model arrival patterns by name, and turning `--pattern` with its flags into a plan:
// every problem (unknown pattern, a flag the pattern does not use, a bad value) is collected.
import { given as isGiven } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { burstPattern } from "./burst.js";
import { chaosPattern } from "./chaos.js";
import { constantPattern } from "./constant.js";
import { bindPattern, OPEN_FLAG_NAMES, type ArrivalPlan, type OpenPattern, type OpenPatternFlag, type OpenPatternFlags } from "./open.js";
import { poissonPattern } from "./poisson.js";
import { rampPattern } from "./ramp.js";
import { spikePattern } from "./spike.js";
import { stepsPattern } from "./steps.js";

/** Binds a pattern's validated options without exposing the options' type to the caller. */
interface PatternEntry {
  flags: readonly OpenPatternFlag[];
  plan(flags: OpenPatternFlags, problems: Problems, durationS: number | null): ArrivalPlan | undefined;
}

function entry<Options extends object>(pattern: OpenPattern<Options>): PatternEntry {
  return {
    flags: pattern.flags,
    plan: (flags, problems, durationS) => {
      const options = pattern.validate(flags, problems, durationS);
      return options === undefined ? undefined : bindPattern(pattern, options);
    },
  };
}

const PATTERNS: Record<string, PatternEntry> = {
  constant: entry(constantPattern),
  poisson: entry(poissonPattern),
  ramp: entry(rampPattern),
  burst: entry(burstPattern),
  spike: entry(spikePattern),
  chaos: entry(chaosPattern),
  steps: entry(stepsPattern),
};

export const PATTERN_NAMES = Object.keys(PATTERNS);

/**
 * The loosest kind any pattern accepts for each numeric flag: with no known pattern to judge them by,
 * the values are still checked, so a bad one is reported with the unknown pattern, not after it is fixed.
 */

/**
 * The arrival plan for `--pattern` (null: no pattern, the closed model runs). An open model needs
 * an end: --duration, --requests, or stages of its own.
 */
export function resolvePattern(
  name: string | undefined,
  flags: OpenPatternFlags,
  problems: Problems,
  limits: { durationS: number | null; requests: number | null },
): ArrivalPlan | null {
  const given = (Object.keys(OPEN_FLAG_NAMES) as OpenPatternFlag[]).filter((flag) => isGiven(flags, flag));
  if (name === undefined) {
    for (const flag of given) problems.add(`${OPEN_FLAG_NAMES[flag]} needs --pattern (${PATTERN_NAMES.join("|")})`);
    return null;
  }
  const pattern = PATTERNS[name];
  if (pattern === undefined) {
    problems.add(`--pattern: unknown pattern "${name}" (known: ${PATTERN_NAMES.join(", ")})`);
    return null;
  }
  for (const flag of given) {
    if (!pattern.flags.includes(flag)) problems.add(`${OPEN_FLAG_NAMES[flag]} does not apply to --pattern ${name}`);
  }
  const plan = pattern.plan(flags, problems, limits.durationS);
  if (plan === undefined) return null;
  if (limits.durationS === null && limits.requests === null && plan.lengthMs === null) {
    problems.add(`--pattern ${name} needs --duration or --requests`);
  }
  return plan;
}
