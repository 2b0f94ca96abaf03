// Ramp: the arrival rate changes linearly from --rps-start (default 0) to --rps over the run's
// duration (seed 001's "0 to 30 RPS over 5 minutes").
import type { Problems } from "../config/values.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface RampOptions {
  rpsStart: number;
  rps: number;
  durationS: number;
}

export function validateRamp(flags: OpenPatternFlags, problems: Problems, durationS: number | null): RampOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "ramp");
  const rpsStart = patternNumber(problems, flags, "rpsStart", "nonNegative", "ramp", 0);
  if (durationS === null) problems.add("--pattern ramp needs --duration (the ramp's length)");
  return rps === undefined || rpsStart === undefined || durationS === null ? undefined : { rpsStart, rps, durationS };
}

export function describeRamp({ rpsStart, rps, durationS }: RampOptions): string {
  return `ramp: ${rpsStart} to ${rps} requests/s over ${durationS}s`;
}

export function* rampSchedule({ rpsStart, rps, durationS }: RampOptions, { endMs }: ScheduleWindow): Generator<number> {
  // Expected arrivals by time t (s): rpsStart·t + a·t², a = (rps − rpsStart) / (2·duration).
  // Arrival n is due when that reaches n; 2n / (b + √(b² + 4an)) is the root, stable for any sign of a.
  const a = (rps - rpsStart) / (2 * durationS);
  const b = rpsStart;
  const end = Math.min(endMs ?? Infinity, durationS * 1000);
  for (let n = 0; ; n++) {
    const discriminant = b * b + 4 * a * n;
    if (discriminant < 0) return;
    const at = n === 0 ? 0 : ((2 * n) / (b + Math.sqrt(discriminant))) * 1000;
    if (at >= end) return;
    yield at;
  }
}

export const rampPattern: OpenPattern<RampOptions> = {
  name: "ramp",
  flags: ["rps", "rpsStart"],
  validate: validateRamp,
  describe: describeRamp,
  lengthMs: () => null,
  schedule: rampSchedule,
};
