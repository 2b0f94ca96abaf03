// Open model: requests arrive on a schedule of their own, whatever the server's speed (the usual
// way real traffic behaves). The schedule comes from an arrival pattern (constant.ts, poisson.ts,
// ...); this file holds what the patterns share and the one timer loop that drives any of them.
import { nowMs } from "../clock.js";
import { z } from "zod/v3";
import { given, numberSetting, textSetting, type Settings } from "../config/settings.js";
import type { Problems, ValueKind } from "../config/values.js";
import { ArrivalQueue } from "./arrival-queue.js";
import type { LoadModel, WorkloadContext } from "./types.js";

/**
 * The arrival patterns' settings (composed in src/config/run-settings.ts). Each field holds the
 * loosest rule of the patterns that read it; a pattern narrows it (--rps 0 is a burst pattern's
 * "no steady traffic" but no rate for constant).
 */
export const openPatternSettings = z.object({
  rps: numberSetting("--rps", "nonNegative", "arrival rate, requests/s (constant, poisson, ramp target, chaos mean, spike baseline, burst base)"),
  burstiness: numberSetting("--burstiness", "positive", "poisson: gamma shape of the gaps; 1 is Poisson, below 1 burstier", 1),
  rpsStart: numberSetting("--rps-start", "nonNegative", "ramp: rate at the start, requests/s", 0),
  burstSize: numberSetting("--burst-size", "positiveInt", "burst: requests per burst (default 50)"),
  burstEvery: numberSetting("--burst-every", "positive", "burst: seconds between bursts", 10),
  spikeMultiplier: numberSetting("--spike-multiplier", "positive", "spike: rate during a spike, times --rps", 5),
  spikeEvery: numberSetting("--spike-every", "positive", "spike: seconds between spike starts", 30),
  spikeDuration: numberSetting("--spike-duration", "positive", "spike: seconds a spike lasts", 5),
  steps: textSetting("--steps", "steps: rate stages 'rps:seconds,...', e.g. '5:10,10:10,20:30'"),
});

export type OpenPatternFlags = Settings<typeof openPatternSettings>;

export type OpenPatternFlag = keyof OpenPatternFlags;

export const OPEN_FLAG_NAMES: Record<OpenPatternFlag, string> = {
  rps: "--rps",
  burstiness: "--burstiness",
  rpsStart: "--rps-start",
  burstSize: "--burst-size",
  burstEvery: "--burst-every",
  spikeMultiplier: "--spike-multiplier",
  spikeEvery: "--spike-every",
  spikeDuration: "--spike-duration",
  steps: "--steps",
};

/** What a schedule is generated for: where it ends (ms from the start; null: never) and its seed. */
export interface ScheduleWindow {
  endMs: number | null;
  seed: number;
}

export interface OpenPattern<Options> {
  readonly name: string;
  /** The pattern flags this pattern reads; any other one given with it is a usage error. */
  readonly flags: readonly OpenPatternFlag[];
  /** Read and check the pattern's flags, adding every problem; undefined when there were any. */
  validate(flags: OpenPatternFlags, problems: Problems, durationS: number | null): Options | undefined;
  describe(options: Options): string;
  /** The pattern's own length, ms (steps); null when only --duration or --requests ends it. */
  lengthMs(options: Options): number | null;
  /** Intended arrival offsets, ms from the start, in order. */
  schedule(options: Options, window: ScheduleWindow): Iterable<number>;
}

/** A pattern bound to its validated options: what the run config holds and the model drives. */
export interface ArrivalPlan {
  readonly name: string;
  describe(): string;
  readonly lengthMs: number | null;
  schedule(window: ScheduleWindow): Iterable<number>;
  /** The report's config shows the pattern's name and options. */
  toJSON(): Record<string, unknown>;
}

export function bindPattern<Options extends object>(pattern: OpenPattern<Options>, options: Options): ArrivalPlan {
  return {
    name: pattern.name,
    describe: () => pattern.describe(options),
    lengthMs: pattern.lengthMs(options),
    schedule: (window) => pattern.schedule(options, window),
    toJSON: () => ({ name: pattern.name, ...options }),
  };
}

/** A pattern flag's number, or `fallback` when absent; a missing required flag is a problem. */
export function patternNumber(
  problems: Problems,
  flags: OpenPatternFlags,
  flag: OpenPatternFlag,
  kind: ValueKind,
  pattern: string,
  fallback?: number,
): number | undefined {
  const value = flags[flag];
  if (value === undefined) {
    // A value given but refused has its own problem already.
    if (fallback === undefined && !given(flags, flag)) problems.add(`--pattern ${pattern} needs ${OPEN_FLAG_NAMES[flag]}`);
    return given(flags, flag) ? undefined : fallback;
  }
  // The field's rule is the loosest of the patterns'; this pattern's may be narrower.
  return problems.number(value, kind, { flag: OPEN_FLAG_NAMES[flag] });
}

export interface OpenModelOptions {
  plan: ArrivalPlan;
  /** The run's duration, ms (null: the request budget or the pattern's own length ends it). */
  durationMs: number | null;
  seed: number;
  maxConcurrent: number;
  /** When the cap is reached, wait for a slot instead of dropping the arrival. */
  queueWhenFull: boolean;
  /** Called for every arrival dropped at the cap, or still queued for a slot when the run stopped. */
  onDrop(): void;
  /** Called for every arrival sent or dropped, with when it was taken off the schedule: the achieved arrival rate. */
  onArrival?(intendedAt: number, takenAt: number): void;
  /** With queueWhenFull: told how many arrivals wait for a slot, each time that changes (and 0 at the start). */
  onWaiting?(count: number): void;
}

// The planned count (for the progress bar) walks the schedule once, lazily and without keeping any
// arrival, but a step costs up to 1 us (a gamma draw for poisson): an hour at 2,000 requests/s took
// 7 s to count before the run could start. Past this many arrivals the plan is left uncounted.
const MAX_COUNTED = 500_000;

export class OpenModel implements LoadModel {
  readonly name: string;
  readonly plannedRequests: number | null;
  private readonly window: ScheduleWindow;

  constructor(private readonly options: OpenModelOptions) {
    const { plan, durationMs, seed } = options;
    this.name = plan.name;
    const ends = [durationMs, plan.lengthMs].filter((ms): ms is number => ms !== null);
    this.window = { endMs: ends.length > 0 ? Math.min(...ends) : null, seed };
    this.plannedRequests = this.window.endMs === null ? null : countUpTo(plan.schedule(this.window), MAX_COUNTED);
  }

  describe(): string {
    const { plan, maxConcurrent, queueWhenFull } = this.options;
    return `${plan.describe()}, at most ${maxConcurrent} concurrent (${queueWhenFull ? "queue" : "drop"} when full)`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    const { maxConcurrent, queueWhenFull, onDrop, onArrival, onWaiting } = this.options;
    // Arrivals waiting for a slot (--queue-when-full), oldest first, and requests in flight.
    const queue = new ArrivalQueue();
    let running = 0;
    let scheduleDone = false;
    let allSettled: (() => void) | undefined;
    const send = (client: number, intendedAt: number, takenAt: number, queued: boolean): void => {
      running++;
      void ctx.issue(client, 0, intendedAt).then((issued) => {
        // Each arrival is its own one-request cycle; one still queued when the run stopped was
        // never sent, and is counted, not skipped. One refused because the request budget was
        // spent was never an arrival of this run.
        if (issued || queued) onArrival?.(intendedAt, takenAt);
        if (issued) ctx.cycleDone();
        else if (queued) onDrop();
        running--;
        // The freed slot goes to the oldest waiting arrival.
        const next = queue.shift();
        if (next !== undefined) {
          onWaiting?.(queue.size);
          send(next.client, next.intendedAt, next.takenAt, true);
        } else if (running === 0 && scheduleDone) allSettled?.();
      });
    };
    if (queueWhenFull) onWaiting?.(0);
    const start = nowMs();
    let index = 0;
    let overdueInARow = 0;
    for (const offset of this.options.plan.schedule(this.window)) {
      // Every offset counts from the start, so a late wake-up issues the overdue arrivals at once
      // with their intended times, and later arrivals keep their places.
      const intendedAt = start + offset;
      // A timer may fire a fraction of a millisecond early; never send before the intended time.
      if (intendedAt > nowMs()) overdueInARow = 0;
      for (let wait = intendedAt - nowMs(); wait > 0 && !ctx.stopping; wait = intendedAt - nowMs()) await ctx.sleep(Math.ceil(wait));
      // A rate beyond what the machine can issue leaves every arrival overdue, and dropping them
      // never waits: yield now and then, or the duration timer and Ctrl-C would never run.
      if (++overdueInARow >= OVERDUE_BEFORE_YIELD) {
        overdueInARow = 0;
        await yieldToEventLoop();
      }
      if (ctx.stopping) break;
      const takenAt = nowMs();
      const client = index++;
      if (running < maxConcurrent && queue.size === 0) send(client, intendedAt, takenAt, false);
      else if (queueWhenFull) {
        queue.push(client, intendedAt, takenAt);
        onWaiting?.(queue.size);
      } else {
        onArrival?.(intendedAt, takenAt);
        onDrop();
      }
    }
    scheduleDone = true;
    if (running > 0 || queue.size > 0) await new Promise<void>((resolve) => (allSettled = resolve));
  }
}

/** Overdue arrivals taken off the schedule in a row before the loop lets timers and signals run. */
const OVERDUE_BEFORE_YIELD = 256;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function countUpTo(arrivals: Iterable<number>, limit: number): number | null {
  let count = 0;
  for (const _ of arrivals) if (++count > limit) return null;
  return count;
}
