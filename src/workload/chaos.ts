// Chaos: each second the arrival rate jumps to a random value between 0 and 2 × --rps (so --rps is
// the long-run mean), drawn from --seed so a chaotic run can be replayed exactly.
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";
import { piecewiseArrivals, type RateSegment } from "./arrivals.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface ChaosOptions {
  rps: number;
}

export function validateChaos(flags: OpenPatternFlags, problems: Problems): ChaosOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "chaos");
  return rps === undefined ? undefined : { rps };
}

export function describeChaos({ rps }: ChaosOptions): string {
  return `chaos: a random rate between 0 and ${2 * rps} requests/s each second`;
}

function* chaosSegments(rps: number, seed: number): Generator<RateSegment> {
  const random = mulberry32(seed);
  for (;;) yield { rps: random() * 2 * rps, ms: 1000 };
}

export function chaosSchedule({ rps }: ChaosOptions, { endMs, seed }: ScheduleWindow): Iterable<number> {
  return piecewiseArrivals(chaosSegments(rps, seed), endMs);
}

export const chaosPattern: OpenPattern<ChaosOptions> = {
  name: "chaos",
  flags: ["rps"],
  validate: validateChaos,
  describe: describeChaos,
  lengthMs: () => null,
  schedule: chaosSchedule,
};
