// Chaos: each second the arrival rate jumps to a random value between 0 and 2 × --rps (so --rps is
// the long-run mean); with --burst-size (seed 001's chaos flag), a random second in four also gets a
// burst of 1 to burst-size requests at once. All drawn from --seed, so a chaotic run replays exactly.
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";
import { piecewiseArrivals, type RateSegment } from "./arrivals.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface ChaosOptions {
  rps: number;
  /** Largest random burst; 0 for none. */
  burstSize?: number;
}

const BURST_CHANCE_PER_SECOND = 0.25;
/** Bursts draw from their own generator, so adding them leaves the rate sequence of a seed as it was. */
const BURST_SEED_SALT = 0x5bd1e995;

export function validateChaos(flags: OpenPatternFlags, problems: Problems): ChaosOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "chaos");
  const burstSize = patternNumber(problems, flags, "burstSize", "positiveInt", "chaos", 0);
  return rps === undefined || burstSize === undefined ? undefined : { rps, burstSize };
}

export function describeChaos({ rps, burstSize = 0 }: ChaosOptions): string {
  const bursts = burstSize > 0 ? `, random bursts of up to ${burstSize}` : "";
  return `chaos: a random rate between 0 and ${2 * rps} requests/s each second${bursts}`;
}

function* chaosSegments(rps: number, seed: number): Generator<RateSegment> {
  const random = mulberry32(seed);
  for (;;) yield { rps: random() * 2 * rps, ms: 1000 };
}

function* chaosBursts(burstSize: number, seed: number, endMs: number | null): Generator<number> {
  const random = mulberry32(seed ^ BURST_SEED_SALT);
  for (let second = 0; endMs === null || second * 1000 < endMs; second++) {
    if (random() >= BURST_CHANCE_PER_SECOND) continue;
    const size = 1 + Math.floor(random() * burstSize);
    const atMs = (second + random()) * 1000;
    if (endMs !== null && atMs >= endMs) return;
    for (let i = 0; i < size; i++) yield atMs;
  }
}

/** Two ascending sequences as one ascending sequence. */
function* merged(a: Iterator<number>, b: Iterator<number>): Generator<number> {
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value <= y.value)) {
      yield x.value as number;
      x = a.next();
    } else {
      yield y.value;
      y = b.next();
    }
  }
}

export function chaosSchedule({ rps, burstSize = 0 }: ChaosOptions, { endMs, seed }: ScheduleWindow): Iterable<number> {
  const rate = piecewiseArrivals(chaosSegments(rps, seed), endMs);
  if (burstSize === 0) return rate;
  return merged(rate[Symbol.iterator](), chaosBursts(burstSize, seed, endMs));
}

export const chaosPattern: OpenPattern<ChaosOptions> = {
  name: "chaos",
  flags: ["rps", "burstSize"],
  validate: validateChaos,
  describe: describeChaos,
  lengthMs: () => null,
  schedule: chaosSchedule,
};
