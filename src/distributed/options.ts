// The distributed flags of `tokenstorm run` (--segment, --workers, --redis, --expect-workers...):
// registered on the command, resolved and checked together with the rest of the run config.
import { availableParallelism } from "node:os";
import { Option, type Command } from "commander";
import type { RunConfig } from "../config/run-types.js";
import { given, helpLine, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { checkSegmentable, formatSegment, parseSegment } from "./segment.js";
import { distributedSettings, type DistributedOptions } from "./settings.js";

export type { DistributedOptions };

export const SINGLE_PROCESS: DistributedOptions = {
  segment: null,
  workers: 1,
  redis: null,
  expectWorkers: null,
  registerTimeoutS: 60,
  heartbeatTimeoutS: 5,
};

/** `--workers auto` splits the load over every core once one process would be busy with it. */
export const AUTO_MIN_STREAMS = 200;
export const AUTO_MIN_ARRIVALS_PER_S = 100;

export function addDistributedOptions(command: Command): Command {
  return command
    .option("--segment <i/n>", helpLine(distributedSettings, "segment"))
    .option("--workers <n>", helpLine(distributedSettings, "workers"))
    .option("--redis <url>", helpLine(distributedSettings, "redis"))
    .option("--expect-workers <n>", helpLine(distributedSettings, "expectWorkers"))
    .option("--register-timeout <s>", helpLine(distributedSettings, "registerTimeout"))
    .addOption(new Option("--heartbeat-timeout <s>", helpLine(distributedSettings, "heartbeatTimeout")).hideHelp());
}

/** Mean arrival rate of an open model's schedule (over its first minute when it has no end). */
function meanArrivalRate(config: RunConfig): number {
  const plan = config.pattern!;
  const ends = [config.durationS === null ? null : config.durationS * 1000, plan.lengthMs, 60_000].filter((ms): ms is number => ms !== null);
  const endMs = Math.min(...ends);
  let count = 0;
  for (const _ of plan.schedule({ endMs, seed: config.seed ?? 0 })) if (++count >= 1_000_000) break;
  return endMs > 0 ? count / (endMs / 1000) : 0;
}

/** The rule behind `--workers auto` (docs/distributed.md). */
export function autoWorkers(config: RunConfig, cores = availableParallelism()): number {
  if (config.pattern !== null) return meanArrivalRate(config) >= AUTO_MIN_ARRIVALS_PER_S ? cores : 1;
  const units = config.stages ? config.stages.users : config.clients;
  const streams = Math.min(units, config.maxConcurrent);
  return streams >= AUTO_MIN_STREAMS ? Math.min(cores, units) : 1;
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "redis:" || url.protocol === "rediss:";
  } catch {
    return false;
  }
}

/** Resolve and check the distributed flags against the otherwise resolved config. */
export function resolveDistributed(
  flags: Settings<typeof distributedSettings> & { seed?: number | undefined; pattern?: string | undefined },
  problems: Problems,
  config: RunConfig,
): DistributedOptions {
  const options: DistributedOptions = { ...SINGLE_PROCESS };
  if (flags.segment !== undefined) options.segment = parseSegment(flags.segment, problems) ?? null;
  if (flags.workers === "auto") options.workers = autoWorkers(config);
  else if (flags.workers !== undefined) options.workers = flags.workers;
  if (flags.redis !== undefined) {
    if (isRedisUrl(flags.redis)) options.redis = flags.redis;
    else problems.add(`--redis must be a redis:// or rediss:// URL (got "${flags.redis}")`);
  }
  if (flags.expectWorkers !== undefined) options.expectWorkers = flags.expectWorkers;
  if (flags.registerTimeout !== undefined) options.registerTimeoutS = flags.registerTimeout;
  if (flags.heartbeatTimeout !== undefined) options.heartbeatTimeoutS = flags.heartbeatTimeout;

  if (given(flags, "redis") && !given(flags, "expectWorkers")) problems.add("--redis needs --expect-workers (how many workers share the run)");
  if (given(flags, "expectWorkers") && !given(flags, "redis")) problems.add("--expect-workers needs --redis");
  if (flags.redis !== undefined && config.target === null) problems.add("--redis needs --target (workers on other machines cannot reach an embedded emulator)");
  if (flags.redis !== undefined && (config.raw !== null || config.csv !== null)) {
    problems.add("--raw/--csv do not apply with --redis: per-request lines stay with each worker (tokenstorm worker --raw FILE)");
  }
  const modes = [flags.segment !== undefined && "--segment", options.workers > 1 && "--workers", flags.redis !== undefined && "--redis"].filter(Boolean);
  if (modes.length > 1) problems.add(`${modes.join(" and ")} cannot be combined`);
  // Every segment must draw the same arrival schedule; a random seed would differ per process.
  if (flags.segment !== undefined && flags.pattern !== undefined && !given(flags, "seed")) {
    problems.add("--segment with --pattern needs --seed (every segment must draw the same schedule)");
  }
  if (options.segment) checkSegmentable(config, options.segment.count, problems, "--segment");
  if (options.workers > 1) checkSegmentable(config, options.workers, problems, "--workers");
  if (options.expectWorkers !== null) checkSegmentable(config, options.expectWorkers, problems, "--expect-workers");
  return options;
}

/** The options as the report's config shows them: the segment as "i/N", a Redis password redacted. */
export function reportedDistributed(options: DistributedOptions): Record<string, unknown> {
  let redis = options.redis;
  if (redis !== null) {
    const url = new URL(redis);
    if (url.password) url.password = "redacted";
    redis = url.toString();
  }
  return { ...options, segment: options.segment ? formatSegment(options.segment) : null, redis };
}
