// Which conversation scenario each request is (seed 003's weights), decided up front and replayable:
// the run's planned requests are dealt as a deck holding each scenario in its exact proportion
// (largest remainder), shuffled with the seed, so 50 requests at 0.6/0.2/0.1/0.1 are exactly
// 30/10/5/5. Without a known total (duration runs) each request is drawn by weight from the seed.
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";

export const SCENARIOS = ["simple_query", "tool_call", "interruption", "false_alarm"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type ScenarioWeights = Record<ScenarioName, number>;

/** Seed 003's defaults. */
export const DEFAULT_WEIGHTS: ScenarioWeights = { simple_query: 0.6, tool_call: 0.2, interruption: 0.1, false_alarm: 0.1 };

const WEIGHT_SETTINGS: Array<[key: "simple" | "tools" | "interruptions" | "falseAlarms", scenario: ScenarioName]> = [
  ["simple", "simple_query"],
  ["tools", "tool_call"],
  ["interruptions", "interruption"],
  ["falseAlarms", "false_alarm"],
];

/** The weights given (already checked as fractions: src/voice/run-options.ts) over seed 003's. */
export function resolveWeights(flags: Partial<Record<"simple" | "tools" | "interruptions" | "falseAlarms", number | undefined>>, problems: Problems): ScenarioWeights {
  const weights = { ...DEFAULT_WEIGHTS };
  for (const [key, scenario] of WEIGHT_SETTINGS) {
    const value = flags[key];
    if (value !== undefined) weights[scenario] = value;
  }
  if (SCENARIOS.every((s) => weights[s] === 0)) problems.add("--simple, --tools, --interruptions and --false-alarms cannot all be 0");
  return weights;
}

/** Scenario counts for `total` requests in exact proportion to the weights (largest remainder). */
export function apportion(weights: ScenarioWeights, total: number): Record<ScenarioName, number> {
  const sum = SCENARIOS.reduce((s, name) => s + weights[name], 0);
  const exact = SCENARIOS.map((name) => (weights[name] / sum) * total);
  const counts = exact.map(Math.floor);
  const order = SCENARIOS.map((_, i) => i).sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b);
  for (let left = total - counts.reduce((s, n) => s + n, 0), i = 0; left > 0; left--, i++) counts[order[i % order.length]!]!++;
  return Object.fromEntries(SCENARIOS.map((name, i) => [name, counts[i]!])) as Record<ScenarioName, number>;
}

/** A uniform draw in [0, 1) for one (client, cycle) of a seeded run: the same whatever the timing. */
export function requestDraw(seed: number, client: number, cycle: number): number {
  return mulberry32(seed ^ Math.imul(client + 1, 0x9e3779b1) ^ Math.imul(cycle + 1, 0x85ebca6b))();
}

export interface ScenarioPlanner {
  scenarioFor(client: number, cycle: number): ScenarioName;
}

/**
 * `clients x cycles` known: deal the deck by (client, cycle), so the mix does not depend on timing.
 * Otherwise a weighted draw from a generator seeded per (client, cycle).
 */
export function scenarioPlanner(weights: ScenarioWeights, seed: number, clients: number, cycles: number | null): ScenarioPlanner {
  if (cycles !== null) {
    const counts = apportion(weights, clients * cycles);
    const deck = SCENARIOS.flatMap((name) => Array<ScenarioName>(counts[name]).fill(name));
    const random = mulberry32(seed);
    for (let i = deck.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deck[i], deck[j]] = [deck[j]!, deck[i]!];
    }
    return { scenarioFor: (client, cycle) => deck[(client * cycles + cycle) % deck.length]! };
  }
  const sum = SCENARIOS.reduce((s, name) => s + weights[name], 0);
  return {
    scenarioFor: (client, cycle) => {
      let draw = requestDraw(seed, client, cycle) * sum;
      for (const name of SCENARIOS) {
        draw -= weights[name];
        if (draw < 0) return name;
      }
      return "simple_query";
    },
  };
}
