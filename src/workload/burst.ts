// Bursts: every --burst-every seconds, --burst-size requests at once (seed 001's "50 requests every
// 10 seconds"), optionally over a steady base of --rps.
import type { Problems } from "../config/values.js";
import { piecewiseArrivals } from "./arrivals.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface BurstOptions {
  burstSize: number;
  burstEveryS: number;
  /** Steady arrivals between bursts, requests/s (0: none). */
  rps: number;
}

export function validateBurst(flags: OpenPatternFlags, problems: Problems): BurstOptions | undefined {
  const burstSize = patternNumber(problems, flags, "burstSize", "positiveInt", "burst", 50);
  const burstEveryS = patternNumber(problems, flags, "burstEvery", "positive", "burst", 10);
  const rps = patternNumber(problems, flags, "rps", "nonNegative", "burst", 0);
  return burstSize === undefined || burstEveryS === undefined || rps === undefined ? undefined : { burstSize, burstEveryS, rps };
}

export function describeBurst({ burstSize, burstEveryS, rps }: BurstOptions): string {
  return `burst: ${burstSize} requests every ${burstEveryS}s${rps > 0 ? ` over a base of ${rps} requests/s` : ""}`;
}

export function* burstSchedule({ burstSize, burstEveryS, rps }: BurstOptions, { endMs }: ScheduleWindow): Generator<number> {
  const end = endMs ?? Infinity;
  const base = piecewiseArrivals([{ rps, ms: Infinity }], endMs);
  let nextBase = base.next();
  for (let k = 0; k * burstEveryS * 1000 < end; k++) {
    const burstAt = k * burstEveryS * 1000;
    for (; !nextBase.done && nextBase.value < burstAt; nextBase = base.next()) yield nextBase.value;
    for (let i = 0; i < burstSize; i++) yield burstAt;
  }
  // Base arrivals after the last burst, up to the end.
  for (; !nextBase.done; nextBase = base.next()) yield nextBase.value;
}

export const burstPattern: OpenPattern<BurstOptions> = {
  name: "burst",
  flags: ["burstSize", "burstEvery", "rps"],
  validate: validateBurst,
  describe: describeBurst,
  lengthMs: () => null,
  schedule: burstSchedule,
};
