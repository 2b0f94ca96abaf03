// Steps: a staircase of constant rates, `--steps '5:10,10:10,20:30'` = 5 requests/s for 10 s, then
// 10 for 10 s, then 20 for 30 s. The stages set the run's length when --duration is not given.
import { given } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { piecewiseArrivals } from "./arrivals.js";
import type { OpenPattern, OpenPatternFlags, ScheduleWindow } from "./open.js";

export interface Step {
  rps: number;
  durationS: number;
}

export interface StepsOptions {
  steps: Step[];
}

export function validateSteps(flags: OpenPatternFlags, problems: Problems): StepsOptions | undefined {
  if (flags.steps === undefined) {
    if (!given(flags, "steps")) problems.add("--pattern steps needs --steps 'rps:seconds,...'");
    return undefined;
  }
  const steps: Step[] = [];
  let valid = true;
  for (const part of flags.steps.split(",")) {
    const fields = part.split(":");
    if (fields.length !== 2) {
      problems.add(`--steps stages look like rps:seconds (got "${part}")`);
      valid = false;
      continue;
    }
    const rps = problems.number(fields[0], "nonNegative", { flag: `--steps rate in "${part}"` });
    const durationS = problems.number(fields[1], "positive", { flag: `--steps seconds in "${part}"` });
    if (rps === undefined || durationS === undefined) valid = false;
    else steps.push({ rps, durationS });
  }
  if (valid && steps.every((step) => step.rps === 0)) {
    problems.add("--steps needs at least one stage with a rate above 0");
    valid = false;
  }
  return valid ? { steps } : undefined;
}

export function describeSteps({ steps }: StepsOptions): string {
  return `steps: ${steps.map((step) => `${step.rps} requests/s for ${step.durationS}s`).join(", then ")}`;
}

export function stepsLengthMs({ steps }: StepsOptions): number {
  return steps.reduce((sum, step) => sum + step.durationS * 1000, 0);
}

export function stepsSchedule({ steps }: StepsOptions, { endMs }: ScheduleWindow): Iterable<number> {
  return piecewiseArrivals(steps.map((step) => ({ rps: step.rps, ms: step.durationS * 1000 })), endMs);
}

export const stepsPattern: OpenPattern<StepsOptions> = {
  name: "steps",
  flags: ["steps"],
  validate: validateSteps,
  describe: describeSteps,
  lengthMs: stepsLengthMs,
  schedule: stepsSchedule,
};
