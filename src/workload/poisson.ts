// Poisson arrivals (independent requests from many users) and, with --burstiness k, gamma-distributed
// gaps with the same mean rate: k = 1 is Poisson, k < 1 clusters arrivals into bursts, k > 1 evens them.
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface PoissonOptions {
  rps: number;
  /** Gamma shape k of the gaps between arrivals. */
  burstiness: number;
}

export function validatePoisson(flags: OpenPatternFlags, problems: Problems): PoissonOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "poisson");
  const burstiness = patternNumber(problems, flags, "burstiness", "positive", "poisson", 1);
  return rps === undefined || burstiness === undefined ? undefined : { rps, burstiness };
}

export function describePoisson({ rps, burstiness }: PoissonOptions): string {
  return burstiness === 1 ? `poisson: ${rps} requests/s on average` : `poisson: ${rps} requests/s on average, gamma gaps with burstiness ${burstiness}`;
}

/** Standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) draw: Marsaglia-Tsang, boosted for shape < 1. */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function* poissonSchedule({ rps, burstiness }: PoissonOptions, { endMs, seed }: ScheduleWindow): Generator<number> {
  const random = mulberry32(seed);
  // Gaps ~ Gamma(k, 1/(k·rps)) have mean 1/rps whatever k is.
  const scaleMs = 1000 / (burstiness * rps);
  for (let at = gamma(burstiness, random) * scaleMs; endMs === null || at < endMs; at += gamma(burstiness, random) * scaleMs) yield at;
}

export const poissonPattern: OpenPattern<PoissonOptions> = {
  name: "poisson",
  flags: ["rps", "burstiness"],
  validate: validatePoisson,
  describe: describePoisson,
  lengthMs: () => null,
  schedule: poissonSchedule,
};
