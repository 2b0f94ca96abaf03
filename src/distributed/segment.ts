// Execution segments: any run cut into N disjoint parts whose union is the whole run. Segment i of N
// (1-based) takes every N-th unit starting at unit i-1 — clients of the closed model, users of the
// staged model, arrivals of the open model's precomputed schedule, requests of a budget — so the
// parts interleave evenly over time and together issue exactly the whole run's requests.
import type { RunConfig } from "../config/run-types.js";
import type { Problems } from "../config/values.js";
import type { ArrivalPlan } from "../workload/open.js";
import type { LoadModel, WorkloadContext } from "../workload/types.js";
import type { Segment } from "./settings.js";

export type { Segment };

export function formatSegment(segment: Segment): string {
  return `${segment.index}/${segment.count}`;
}

/** `--segment 2/4`; undefined (and a problem) when malformed. */
export function parseSegment(text: string, problems: Problems, flag = "--segment"): Segment | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(index >= 1 && count >= 1 && index <= count)) {
    problems.add(`${flag} must be 'i/N' with 1 <= i <= N, e.g. 2/4 (got "${text}")`);
    return undefined;
  }
  return { index, count };
}

/** How many of `total` units (numbered 0..total-1) fall in the segment: those with unit % N == i-1. */
export function segmentShare(total: number, segment: Segment): number {
  const first = segment.index - 1;
  return total > first ? Math.ceil((total - first) / segment.count) : 0;
}

/** The whole run's unit number of the segment's `local`-th unit. */
export function wholeUnit(local: number, segment: Segment): number {
  return segment.index - 1 + local * segment.count;
}

/** Every problem with cutting this config into `count` parts (a part with nothing to do). */
export function checkSegmentable(config: RunConfig, count: number, problems: Problems, why: string): void {
  if (count <= 1) return;
  const { stages } = config;
  if (config.pattern === null && !stages && config.clients < count) {
    problems.add(`${why}: ${config.clients} clients cannot be split into ${count} segments (each needs at least one client)`);
  }
  if (stages && stages.users < count) problems.add(`${why}: ${stages.users} users cannot be split into ${count} segments`);
  if (config.requests !== null && config.requests < count) {
    problems.add(`${why}: --requests ${config.requests} cannot be split into ${count} segments`);
  }
}

/**
 * The whole run's number of request (client, cycle): cycle × units + client, units being the whole
 * run's clients (users of the staged model); with --turns, turn k of conversation c draws as cycle
 * c × turns + k - 1 (src/engine/runner.ts). An open-model arrival is its own number (cycle 0). One
 * process issues the closed model's requests in about this order, all clients' first cycle first.
 */
export function wholeRequestNumber(config: RunConfig): (client: number, cycle: number) => number {
  const units = config.stages?.users ?? config.clients;
  return (client, cycle) => cycle * units + client;
}

/**
 * How many of the closed (or staged) model's first `budget` requests, by whole-run request number,
 * are the segment's: clients (users) i-1, i-1+N... each up to its cycles. Together the segments
 * issue min(budget, clients × cycles), as one process does, however unevenly the clients split.
 */
function closedBudgetShare(config: RunConfig, budget: number, segment: Segment): number {
  const units = config.stages?.users ?? config.clients;
  // With --turns, each cycle is a conversation whose turns are numbered as requests of their own.
  const turns = config.conversations?.turns ?? 1;
  const cycles = config.stages || config.cycles === null ? null : config.cycles * turns;
  let share = 0;
  for (let client = segment.index - 1; client < Math.min(units, budget); client += segment.count) {
    const within = Math.ceil((budget - client) / units);
    share += cycles === null ? within : Math.min(cycles, within);
  }
  return share;
}

/** The open model's schedule, thinned to the segment's arrivals (every N-th, offset by the index). */
export function segmentPlan(plan: ArrivalPlan, segment: Segment): ArrivalPlan {
  return {
    name: plan.name,
    describe: () => plan.describe(),
    lengthMs: plan.lengthMs,
    *schedule(window) {
      let n = 0;
      for (const offset of plan.schedule(window)) if (n++ % segment.count === segment.index - 1) yield offset;
    },
    toJSON: () => plan.toJSON(),
  };
}

/**
 * The config one segment runs: its share of clients / users, of the request budget and of the
 * concurrency cap (so the caps of all segments add up to the whole run's), and its arrivals.
 * Durations, timing and seeds stay the whole run's so every segment plays the same schedule.
 */
export function segmentConfig(config: RunConfig): RunConfig {
  const segment = config.distributed.segment;
  if (segment === null) return config;
  const shaped: RunConfig = {
    ...config,
    clients: Math.max(1, segmentShare(config.clients, segment)),
    // Open-model arrival k is segment k mod N + 1's, so is its place in the budget; closed and staged
    // models are split by client, whose numbers of requests differ when the clients split unevenly.
    requests:
      config.requests === null ? null : config.pattern === null ? closedBudgetShare(config, config.requests, segment) : segmentShare(config.requests, segment),
    maxConcurrent: Math.max(1, segmentShare(config.maxConcurrent, segment)),
    pattern: config.pattern === null ? null : segmentPlan(config.pattern, segment),
    // The segment's users ramp up and down over the same stages: its share of the whole's users.
    stages: config.stages === null ? null : { ...config.stages, users: Math.max(1, segmentShare(config.stages.users, segment)) },
  };
  return shaped;
}

/**
 * Wraps the segment's load model so the requests carry the whole run's client (or arrival) numbers:
 * local client k of segment i/N is client (i-1) + k*N of the whole run, so prompts, raw records and
 * everything keyed by client are the same as in a single-process run.
 */
export function segmentModel(model: LoadModel, segment: Segment | null): LoadModel {
  if (segment === null) return model;
  return {
    name: model.name,
    plannedRequests: model.plannedRequests,
    describe: () => `${model.describe()} (segment ${formatSegment(segment)})`,
    run(ctx: WorkloadContext): Promise<void> {
      const whole: WorkloadContext = {
        issue: (client, cycle, intendedAt) => ctx.issue(wholeUnit(client, segment), cycle, intendedAt),
        cycleDone: () => ctx.cycleDone(),
        get stopping() {
          return ctx.stopping;
        },
        sleep: (ms) => ctx.sleep(ms),
      };
      return model.run(whole);
    },
  };
}
