// Which controller, if any, runs a `tokenstorm run`: local worker processes (--workers N > 1), remote
// workers through Redis (--redis), or none (the run happens in this process, maybe as a segment).
// Loaded on demand, so that a plain run does not pay for loading the Redis client.
import type { RawRunFlags, RunConfig } from "../config/run-config.js";
import type { LoadTestOptions } from "../engine/load-test.js";
import type { CoordinatorOutcome } from "./coordinator.js";
import type { ControllerInputs } from "./local.js";

export type DistributedRun = (options: LoadTestOptions) => Promise<CoordinatorOutcome>;

async function controllerFor(config: RunConfig): Promise<(inputs: ControllerInputs) => Promise<CoordinatorOutcome>> {
  if (config.distributed.redis !== null) return (await import("./redis-controller.js")).runWithRedisWorkers;
  return (await import("./local.js")).runWithLocalWorkers;
}

export function distributedController(config: RunConfig, flags: RawRunFlags): DistributedRun | null {
  if (config.distributed.redis === null && config.distributed.workers <= 1) return null;
  return async (options) =>
    (await controllerFor(config))({
      config: options.config,
      flags,
      outputs: options.outputs ?? [],
      targetHeaders: options.targetHeaders ?? {},
      log: options.log ?? (() => undefined),
    });
}
