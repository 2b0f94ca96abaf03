// The values a capacity sweep steps through: a given list, a linear climb, or doubling — the last two
// endless, cut by the sweep's step limit or by its first failing steps.

export type StepPlan =
  | { kind: "list"; values: readonly number[] }
  | { kind: "linear"; start: number; step: number }
  | { kind: "doubling"; start: number };

export function* stepValues(plan: StepPlan, maxSteps: number): Generator<number> {
  for (let index = 0; index < maxSteps; index++) {
    if (plan.kind === "list") {
      if (index >= plan.values.length) return;
      yield plan.values[index]!;
    } else if (plan.kind === "linear") {
      yield plan.start + index * plan.step;
    } else {
      yield plan.start * 2 ** index;
    }
  }
}

export function describeStepPlan(plan: StepPlan): string {
  switch (plan.kind) {
    case "list":
      return plan.values.join(", ");
    case "linear":
      return `${plan.start}, ${plan.start + plan.step}, ${plan.start + 2 * plan.step}, ...`;
    case "doubling":
      return `${plan.start}, ${plan.start * 2}, ${plan.start * 4}, ...`;
  }
}
