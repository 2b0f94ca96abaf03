// `tokenstorm worker`: a process that runs segments of distributed runs. With --redis it waits for
// work from any `run --redis` controller (docs/distributed.md); --ipc is how `run --workers N`
// starts its local workers (not for direct use).
import { hostname } from "node:os";
import { Option, type Command } from "commander";
import { UsageError } from "../errors.js";

export interface WorkerFlags {
  redis?: string;
  name?: string;
  once?: boolean;
  raw?: string;
  ipc?: boolean;
  giveUpAfter?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run segments of distributed runs handed out through Redis by `tokenstorm run --redis URL --expect-workers N`")
    .option("--redis <url>", "Redis to take work from, redis://host:6379")
    .option("--name <name>", "this worker's name in the controller's messages (default: host name and pid)")
    .option("--once", "exit after one run (for a Kubernetes Job)")
    .option("--raw <file>", "write each run's raw per-request lines here, on this machine")
    .option("--give-up-after <s>", "seconds to keep retrying (with backoff) a Redis that stopped answering before exiting with 1 (default 60)")
    .addOption(new Option("--ipc", "run the segment handed over by a `run --workers` parent").hideHelp())
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags);
    });
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  // Loaded on demand: the Redis client only when it is used.
  if (flags.ipc) return (await import("../distributed/ipc-worker.js")).runIpcWorker();
  if (flags.redis === undefined) throw new UsageError("worker needs --redis <url>");
  if (!/^rediss?:\/\//.test(flags.redis)) throw new UsageError(`--redis must be a redis:// or rediss:// URL (got "${flags.redis}")`);
  const giveUpAfterS = flags.giveUpAfter === undefined ? 60 : Number(flags.giveUpAfter);
  if (!(giveUpAfterS > 0)) throw new UsageError(`--give-up-after must be a number of seconds > 0 (got "${flags.giveUpAfter}")`);
  const { runRedisWorker } = await import("../distributed/redis-worker.js");
  return runRedisWorker({
    url: flags.redis,
    name: flags.name ?? `${hostname()}:${process.pid}`,
    once: flags.once === true,
    rawPath: flags.raw ?? null,
    giveUpAfterS,
    log: (line) => process.stderr.write(`${line}\n`),
  });
}
