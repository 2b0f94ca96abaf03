// Named scenarios (`--scenario NAME`): the user's own presets from seeds 001 and 002 as RawRunFlags,
// applied under the command-line flags (CLI flags > scenario > environment variables > defaults).
import { UsageError } from "../errors.js";
import type { RawRunFlags } from "./run-types.js";

export interface Scenario {
  name: string;
  description: string;
  /** Where the preset comes from (which seed, and which of its values are our choice). */
  source: string;
  flags: Partial<RawRunFlags>;
}

/** Seed 002's staged scenarios: users / ramp-up / hold exactly as in its table, its 1 s think time. */
function staged(name: string, users: number, rampUpS: number, holdS: number, description: string): Scenario {
  return {
    name,
    description,
    source: "seed 002 scenario table",
    flags: { users: String(users), rampUp: String(rampUpS), hold: String(holdS), thinkTime: "1" },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  staged("baseline", 1, 0, 30, "Establish latency baseline: one user"),
  staged("light", 5, 10, 120, "Normal operation: 5 users"),
  staged("medium", 20, 30, 300, "Typical peak load: 20 users"),
  staged("heavy", 50, 60, 300, "Stress test: 50 users"),
  staged("spike", 100, 5, 30, "Sudden burst: 100 users within 5 s"),
  staged("endurance", 20, 30, 1800, "Stability test: 20 users for 30 min"),
  {
    name: "queue-stress",
    description: "Saturate the server's request queue: 25 requests/s, 100 concurrent, 500 requests",
    source: "seed 001 Makefile load-test-queue",
    flags: { pattern: "constant", rps: "25", maxConcurrent: "100", requests: "500", prompts: "short,medium" },
  },
  {
    name: "burst",
    description: "Periodic bursts of 50 requests every 10 s",
    source: "seed 001 menu (burst size and period); 100 concurrent and 2 min are our choice",
    flags: { pattern: "burst", burstSize: "50", burstEvery: "10", maxConcurrent: "100", duration: "120", prompts: "short,medium" },
  },
  {
    name: "ramp",
    description: "Arrival rate rising from 0 to 30 requests/s over 5 min",
    source: "seed 001 menu (rates and length); 100 concurrent is our choice",
    flags: { pattern: "ramp", rpsStart: "0", rps: "30", duration: "300", maxConcurrent: "100", prompts: "short,medium" },
  },
  {
    name: "spike-test",
    description: "Normal load with sudden spikes: 10 requests/s, 5x for 5 s every 30 s",
    source: "seed 001 menu (alternating normal and spike load); rates, period and length are our choice",
    flags: {
      pattern: "spike",
      rps: "10",
      spikeMultiplier: "5",
      spikeEvery: "30",
      spikeDuration: "5",
      maxConcurrent: "100",
      duration: "120",
      prompts: "short,medium",
    },
  },
  {
    name: "chaos",
    description: "Random, reproducible load around 20 requests/s with bursts of up to 30, 90 concurrent, 500 requests",
    source: "seed 001 chaos command line",
    flags: { pattern: "chaos", rps: "20", maxConcurrent: "90", requests: "500", burstSize: "30", prompts: "short,medium,long" },
  },
  {
    name: "quick",
    description: "2-minute high-intensity test: 40 requests/s, 60 concurrent",
    source: "seed 001 Makefile load-test-quick",
    flags: { pattern: "constant", rps: "40", maxConcurrent: "60", duration: "120", prompts: "short" },
  },
];

export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((s) => s.name);

export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new UsageError(`--scenario: unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(", ")})`);
  return scenario;
}

/** `rampUp` -> `--ramp-up`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The scenario's flags as a command line fragment, e.g. `--users 20 --ramp-up 30 --hold 300`. */
export function scenarioParameters(scenario: Scenario): string {
  return Object.entries(scenario.flags)
    .map(([key, value]) => (value === true ? flagName(key) : `${flagName(key)} ${Array.isArray(value) ? value.join(" ") : String(value)}`))
    .join(" ");
}

/** Which load model a scenario drives: staged users, or an open arrival pattern. */
export function scenarioModel(scenario: Scenario): string {
  if (scenario.flags.users !== undefined) return "staged";
  if (scenario.flags.pattern !== undefined) return `open ${scenario.flags.pattern}`;
  return "closed";
}

// Flags that choose a load model or a prompt source. When the command line picks one family, the
// scenario's flags of the other families are dropped instead of conflicting with it.
const OPEN_KEYS = ["pattern", "rps", "burstiness", "rpsStart", "burstSize", "burstEvery", "spikeMultiplier", "spikeEvery", "spikeDuration", "steps", "queueWhenFull"] as const;
const STAGED_KEYS = ["users", "rampUp", "hold", "rampDown"] as const;
const CLOSED_KEYS = ["clients", "cycles"] as const;
const FAMILIES: ReadonlyArray<{ chosenBy: readonly (keyof RawRunFlags)[]; drops: readonly (keyof RawRunFlags)[] }> = [
  { chosenBy: ["pattern"], drops: [...STAGED_KEYS, ...CLOSED_KEYS, "thinkTime"] },
  { chosenBy: ["users"], drops: [...OPEN_KEYS, ...CLOSED_KEYS] },
  { chosenBy: CLOSED_KEYS, drops: [...OPEN_KEYS, ...STAGED_KEYS] },
  { chosenBy: ["dataset"], drops: ["prompts"] },
  { chosenBy: ["prompts"], drops: ["dataset"] },
];

/**
 * Flags with `flags.scenario` applied underneath: every flag given on the command line wins, and a
 * load model or prompt source chosen there replaces the scenario's own.
 */
export function applyScenario(flags: RawRunFlags): RawRunFlags {
  if (flags.scenario === undefined) return flags;
  return underneath(findScenario(flags.scenario).flags, flags);
}

/** `lower` (a scenario's or the environment's flags) under `flags`: a family chosen in `flags` replaces the lower one's. */
export function underneath(lower: Partial<RawRunFlags>, flags: RawRunFlags): RawRunFlags {
  const preset: Record<string, unknown> = { ...lower };
  for (const family of FAMILIES) {
    if (family.chosenBy.some((key) => flags[key] !== undefined)) for (const key of family.drops) delete preset[key];
  }
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  return { ...preset, ...given } as RawRunFlags;
}
