// Spikes: a baseline of --rps, and every --spike-every seconds the rate jumps to --spike-multiplier
// times that for --spike-duration seconds, then falls back.
import type { Problems } from "../config/values.js";
import { piecewiseArrivals, type RateSegment } from "./arrivals.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface SpikeOptions {
  rps: number;
  spikeMultiplier: number;
  spikeEveryS: number;
  spikeDurationS: number;
}

export function validateSpike(flags: OpenPatternFlags, problems: Problems): SpikeOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "spike");
  const spikeMultiplier = patternNumber(problems, flags, "spikeMultiplier", "positive", "spike", 5);
  const spikeEveryS = patternNumber(problems, flags, "spikeEvery", "positive", "spike", 30);
  const spikeDurationS = patternNumber(problems, flags, "spikeDuration", "positive", "spike", 5);
  if (spikeEveryS !== undefined && spikeDurationS !== undefined && spikeDurationS >= spikeEveryS) {
    problems.add(`--spike-duration (${spikeDurationS}s) must be shorter than --spike-every (${spikeEveryS}s)`);
    return undefined;
  }
  if (rps === undefined || spikeMultiplier === undefined || spikeEveryS === undefined || spikeDurationS === undefined) return undefined;
  return { rps, spikeMultiplier, spikeEveryS, spikeDurationS };
}

export function describeSpike({ rps, spikeMultiplier, spikeEveryS, spikeDurationS }: SpikeOptions): string {
  return `spike: ${rps} requests/s, ${spikeMultiplier}x for ${spikeDurationS}s every ${spikeEveryS}s`;
}

/** Baseline until the first spike at --spike-every, then spike and baseline in turn. */
function* spikeSegments({ rps, spikeMultiplier, spikeEveryS, spikeDurationS }: SpikeOptions): Generator<RateSegment> {
  yield { rps, ms: spikeEveryS * 1000 };
  for (;;) {
    yield { rps: rps * spikeMultiplier, ms: spikeDurationS * 1000 };
    yield { rps, ms: (spikeEveryS - spikeDurationS) * 1000 };
  }
}

export function spikeSchedule(options: SpikeOptions, { endMs }: ScheduleWindow): Iterable<number> {
  return piecewiseArrivals(spikeSegments(options), endMs);
}

export const spikePattern: OpenPattern<SpikeOptions> = {
  name: "spike",
  flags: ["rps", "spikeMultiplier", "spikeEvery", "spikeDuration"],
  validate: validateSpike,
  describe: describeSpike,
  lengthMs: () => null,
  schedule: spikeSchedule,
};
