// Constant arrival rate: one request every 1/rps seconds, on the dot.
import type { Problems } from "../config/values.js";
import { piecewiseArrivals } from "./arrivals.js";
import { patternNumber, type OpenPattern, type OpenPatternFlags, type ScheduleWindow } from "./open.js";

export interface ConstantOptions {
  rps: number;
}

export function validateConstant(flags: OpenPatternFlags, problems: Problems): ConstantOptions | undefined {
  const rps = patternNumber(problems, flags, "rps", "positive", "constant");
  return rps === undefined ? undefined : { rps };
}

export function describeConstant({ rps }: ConstantOptions): string {
  return `constant: ${rps} requests/s`;
}

export function constantSchedule({ rps }: ConstantOptions, { endMs }: ScheduleWindow): Iterable<number> {
  return piecewiseArrivals([{ rps, ms: Infinity }], endMs);
}

export const constantPattern: OpenPattern<ConstantOptions> = {
  name: "constant",
  flags: ["rps"],
  validate: validateConstant,
  describe: describeConstant,
  lengthMs: () => null,
  schedule: constantSchedule,
};
