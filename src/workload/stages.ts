// Staged closed model (seed 002): --users virtual users started evenly over --ramp-up, all of them
// looping requests with --think-time in between during --hold, then stopped evenly over --ramp-down
// (the last started stops first; a stopping user finishes the request it is in, and counts as active
// until then). Like the closed model, a user's next request waits for its previous one, so the load
// follows the server's speed.
import { nowMs } from "../clock.js";
import { z } from "zod/v3";
import { given, numberSetting, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { Semaphore } from "./semaphore.js";
import type { LoadModel, WorkloadContext } from "./types.js";

/** The stages as the run config (and the report's config) holds them. */
export interface StagePlan {
  users: number;
  rampUpS: number;
  holdS: number;
  rampDownS: number;
}

/** Seed 002's default pause between a user's requests, seconds. */
export const STAGED_THINK_TIME_S = 1;

/** The staged model's settings (composed in src/config/run-settings.ts). */
export const stageSettings = z.object({
  users: numberSetting("--users", "positiveInt", "staged model: virtual users started over --ramp-up, held for --hold (or --duration), stopped over --ramp-down"),
  rampUp: numberSetting("--ramp-up", "nonNegative", "staged model: seconds over which users start, evenly", 0),
  hold: numberSetting("--hold", "nonNegative", "staged model: seconds all users run between ramp-up and ramp-down (same as --duration there)"),
  rampDown: numberSetting("--ramp-down", "nonNegative", "staged model: seconds over which users stop, evenly", 0),
});

/** The settings that choose and shape the staged model, and the other models' that it refuses. */
type StageFlags = Settings<typeof stageSettings> & { pattern?: string | undefined; clients?: number | undefined; cycles?: number | undefined };

/**
 * The stage plan for --users (null: not the staged model), every problem added (--duration has
 * become --hold by now: `durationAsHold`); a plan with no length at all is a problem.
 */
export function resolveStages(flags: StageFlags, problems: Problems): StagePlan | null {
  const stageFlags = [["--ramp-up", "rampUp"], ["--hold", "hold"], ["--ramp-down", "rampDown"]] as const;
  if (!given(flags, "users")) {
    for (const [flag, key] of stageFlags) if (given(flags, key)) problems.add(`${flag} needs --users (the staged model)`);
    return null;
  }
  if (flags.pattern !== undefined) problems.add(`--users (staged model) and --pattern ${flags.pattern} (open model) cannot be combined`);
  for (const [flag, key] of [["--clients", "clients"], ["--cycles", "cycles"]] as const) {
    if (given(flags, key)) problems.add(`${flag} is for the closed model and does not apply to --users (use --users with --ramp-up/--hold/--ramp-down)`);
  }
  const { users, rampUp: rampUpS = 0, rampDown: rampDownS = 0 } = flags;
  let holdS = flags.hold;
  // A refused value has its problem already; there is no plan without it.
  const refused = (["users", "rampUp", "hold", "rampDown"] as const).some((key) => flags[key] === undefined && given(flags, key));
  if (users === undefined || refused) return null;
  if (holdS === undefined) {
    if (rampUpS + rampDownS === 0) {
      problems.add("--users needs --hold, --ramp-up, --ramp-down or --duration (how long the users run)");
      return null;
    }
    holdS = 0;
  } else if (rampUpS + holdS + rampDownS === 0) {
    problems.add("--users: --ramp-up, --hold and --ramp-down add up to 0 s");
    return null;
  }
  return { users, rampUpS, holdS, rampDownS };
}

/**
 * In the staged model `--duration` is the hold between ramp-up and ramp-down (what `-d` means on
 * seed 002's command line), so `-u 6 --ramp-up 6 -d 14` holds 6 users for 14 s and runs 20 s in all.
 * `flags` has the scenario applied; `given` is what the user typed, where a --hold of its own must
 * agree. A duration that came with an open-model scenario the user replaced by --users is dropped.
 */
/** The settings `durationAsHold` reads, as given (text, or numbers from the API). */
interface HoldFlags {
  users?: string | number | undefined;
  hold?: string | number | undefined;
  duration?: string | number | undefined;
}

export function durationAsHold<T extends HoldFlags>(flags: T, given: Pick<HoldFlags, "hold" | "duration">, problems: Problems): T {
  if (flags.users === undefined || flags.duration === undefined) return flags;
  const typed = given.duration;
  if (typed === undefined) return { ...flags, duration: undefined };
  // A --duration that is not a number stays one, for its own one-line problem.
  if (String(typed).trim() === "" || !Number.isFinite(Number(typed))) return flags;
  if (given.hold !== undefined && Number(given.hold) !== Number(typed)) problems.add("--hold and --duration are the same setting with --users (the hold between ramp-up and ramp-down): give one of them");
  return { ...flags, hold: given.hold ?? typed, duration: undefined };
}

/** The stages' whole length, seconds: the run's duration. */
export function stagesLengthS(plan: StagePlan): number {
  return plan.rampUpS + plan.holdS + plan.rampDownS;
}

export interface StagedModelOptions extends StagePlan {
  thinkTimeMs: number;
  maxConcurrent: number;
  /** Called whenever the number of running users changes (the timeline's active_users). */
  onActiveUsers(count: number): void;
}

export class StagedModel implements LoadModel {
  readonly name = "staged";
  readonly plannedRequests = null;
  private activeUsers = 0;

  constructor(private readonly options: StagedModelOptions) {}

  describe(): string {
    const { users, rampUpS, holdS, rampDownS, thinkTimeMs, maxConcurrent } = this.options;
    return `staged: ${users} users, ramp-up ${rampUpS}s, hold ${holdS}s, ramp-down ${rampDownS}s, think ${thinkTimeMs / 1000}s, at most ${maxConcurrent} concurrent`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    const { users, rampUpS, holdS, rampDownS, maxConcurrent } = this.options;
    const gate = new Semaphore(maxConcurrent);
    const start = nowMs();
    const rampDownAt = start + (rampUpS + holdS) * 1000;
    const running: Promise<void>[] = [];
    for (let user = 0; user < users; user++) {
      // Each user starts in the middle of its 1/N slice of the ramp-up, so the count at any whole
      // second is exact (no start falls on a timeline boundary) and all N run before it ends. The
      // ramp-down mirrors it: the last started stops first.
      const startAt = start + (rampUpS * 1000 * (user + 0.5)) / users;
      const stopAt = rampDownAt + (rampDownS * 1000 * (users - user - 0.5)) / users;
      await sleepUntil(ctx, startAt);
      if (ctx.stopping) break;
      running.push(this.user(user, stopAt, ctx, gate));
    }
    await Promise.all(running);
  }

  private setActive(delta: number): void {
    this.activeUsers += delta;
    this.options.onActiveUsers(this.activeUsers);
  }

  private async user(user: number, stopAt: number, ctx: WorkloadContext, gate: Semaphore): Promise<void> {
    const { thinkTimeMs } = this.options;
    this.setActive(1);
    try {
      for (let cycle = 0; !ctx.stopping && nowMs() < stopAt; cycle++) {
        // Time waiting for a concurrency slot is reported as queue time, not as latency.
        const intendedAt = nowMs();
        await gate.acquire();
        let issued = false;
        try {
          if (nowMs() < stopAt) issued = await ctx.issue(user, cycle, intendedAt);
        } finally {
          gate.release();
        }
        if (!issued) return;
        ctx.cycleDone();
        // Thinking ends early when the user's time is up.
        if (thinkTimeMs > 0) await sleepUntil(ctx, Math.min(nowMs() + thinkTimeMs, stopAt));
      }
    } finally {
      this.setActive(-1);
    }
  }
}

/** Sleep until a monotonic time; a timer may fire a fraction early, so check and sleep again. */
async function sleepUntil(ctx: WorkloadContext, at: number): Promise<void> {
  for (let wait = at - nowMs(); wait > 0 && !ctx.stopping; wait = at - nowMs()) await ctx.sleep(Math.ceil(wait));
}
