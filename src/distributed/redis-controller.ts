// `run --redis URL --expect-workers N`: publishes the plan and N segment invitations, waits for N
// workers to register (or fails clearly), starts them together, merges their per-second progress
// live from the run's event stream (progress line, --prometheus-port, --web), declares a worker
// silent for --heartbeat-timeout seconds dead (its segment missing), and merges whatever reports
// arrived. Every key of the run is removed after.
import { randomUUID } from "node:crypto";
import { RunError } from "../errors.js";
import { claimEarlySignal } from "../early-signals.js";
import { Coordinator, wholeRunReportConfig, type CoordinatorOutcome } from "./coordinator.js";
import type { ControllerInputs } from "./local.js";
import { workerFlags, type WorkerMessage } from "./protocol.js";
import { closeRedis, connectRedis, encode, pause, readStream, type RedisClient } from "./redis-client.js";
import { PLAN_TTL_S, QUEUE_KEY, runKeys, type ControlMessage, type Invitation, type PublishedPlan } from "./redis-keys.js";

const HEARTBEAT_MS = 1000;
/** Between the last registration and the common start: time for every worker to read the start. */
const START_DELAY_MS = 1000;
const READ_BLOCK_MS = 500;
/** How often the controller removes the event-stream entries it has read. */
const TRIM_INTERVAL_MS = 1000;

function segmentOf(message: WorkerMessage): string | null {
  return message.kind === "hello" ? null : message.segment;
}

export async function runWithRedisWorkers(inputs: ControllerInputs): Promise<CoordinatorOutcome> {
  const { config, log } = inputs;
  const { redis, expectWorkers, registerTimeoutS, heartbeatTimeoutS } = config.distributed;
  const count = expectWorkers!;
  const url = redis!;
  const client = await connectRedis(url, 30);
  const reader = await connectRedis(url, 30);
  const runId = randomUUID();
  const keys = runKeys(runId);
  const invitations = Array.from({ length: count }, (_, i) => JSON.stringify({ runId, segment: { index: i + 1, count } } satisfies Invitation));
  const control = async (message: ControlMessage): Promise<void> => {
    await client.xAdd(keys.control, "*", encode(message));
    await client.expire(keys.control, PLAN_TTL_S);
  };
  /** A control message that may not get through (Redis gone): the heartbeat timeout settles the run then. */
  const tryControl = (message: ControlMessage): void => void control(message).catch(() => undefined);
  const coordinator = new Coordinator({ segmentCount: count, outputs: inputs.outputs, thresholds: config.thresholds, log });
  const lastSeen = new Map<string, number>();
  const names = new Map<string, string>();
  let lastId = "0";
  let started = false;
  /** Segments whose worker said ready (or failed to): registration is over when all have. */
  const registered = new Set<string>();

  let trimmedAt = 0;
  let trimming = true;
  /** Since when Redis does not answer (null: it does), and why; workers are then judged by the heartbeat timeout. */
  let unreachable: { since: number; why: string } | null = null;
  const drain = async (): Promise<void> => {
    let read: Awaited<ReturnType<typeof readStream<WorkerMessage>>>;
    try {
      read = await readStream<WorkerMessage>(reader, keys.events, lastId, READ_BLOCK_MS);
      unreachable = null;
    } catch (err) {
      // Redis is gone or going: the connection comes back on its own if it can; meanwhile no word
      // arrives, and the heartbeat timeout declares the segments missing. No spinning meanwhile.
      if (unreachable === null) {
        unreachable = { since: Date.now(), why: (err as Error).message };
        log(`tokenstorm: cannot reach Redis at ${new URL(url).host} (${unreachable.why}); waiting ${heartbeatTimeoutS} s for it`);
      }
      await pause(READ_BLOCK_MS);
      return;
    }
    lastId = read.lastId;
    if (trimming && lastId !== "0" && Date.now() - trimmedAt >= TRIM_INTERVAL_MS) {
      // Ticks carry every segment's totals: drop what was read so the stream stays small however
      // long the run (best effort: XTRIM MINID needs Redis 6.2).
      trimmedAt = Date.now();
      void client.xTrim(keys.events, "MINID", lastId).catch(() => (trimming = false));
    }
    for (const message of read.messages) {
      const segment = segmentOf(message);
      if (segment === null) continue;
      lastSeen.set(segment, Date.now());
      if (message.kind === "ready") names.set(segment, message.name);
      if (message.kind === "ready" || message.kind === "failed") registered.add(segment);
      coordinator.onMessage(message);
    }
  };

  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    log("\ntokenstorm: stopping the workers, merging partial results (again to quit at once)");
    tryControl({ kind: started ? "stop" : "abort" });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Ctrl-C while the program was still loading counts as the first.
  if (claimEarlySignal() !== null) onSignal();
  try {
    const published: PublishedPlan = {
      runId,
      flags: workerFlags(inputs.flags, {
        target: config.target!,
        seed: config.seed,
        length: config.length,
        exactTokens: config.exactTokens,
        closedModel: config.pattern === null && config.stages === null,
      }) as Record<string, unknown>,
      targetHeaders: inputs.targetHeaders,
      heartbeatMs: HEARTBEAT_MS,
    };
    await client.set(keys.plan, JSON.stringify(published));
    await client.expire(keys.plan, PLAN_TTL_S);
    await client.lPush(QUEUE_KEY, invitations);
    log(`tokenstorm: run ${runId}: waiting for ${count} workers (tokenstorm worker --redis ...)`);

    const deadline = Date.now() + registerTimeoutS * 1000;
    while (registered.size < count) {
      if (Date.now() > deadline || interrupts > 0) {
        tryControl({ kind: "abort" });
        const why = interrupts > 0 ? "(interrupted)" : `within ${registerTimeoutS} s`;
        throw new RunError(`only ${registered.size} of ${count} workers registered ${why}; start them with: tokenstorm worker --redis <url>`);
      }
      await drain();
    }
    started = true;
    const startAtUnixMs = Date.now() + START_DELAY_MS;
    await control({ kind: "start", atUnixMs: startAtUnixMs });
    log(`tokenstorm: ${count} workers registered (${[...names.values()].join(", ")}); starting`);
    coordinator.startProgress(startAtUnixMs);
    while (coordinator.outstanding.length > 0) {
      await drain();
      const now = Date.now();
      for (const segment of coordinator.outstanding) {
        if (now - (lastSeen.get(segment) ?? now) > heartbeatTimeoutS * 1000) {
          const worker = names.get(segment) ?? "its worker";
          const why = unreachable === null ? "" : ` (Redis unreachable: ${(unreachable as { why: string }).why})`;
          coordinator.markLost(segment, `${worker} sent no heartbeat for ${heartbeatTimeoutS} s${why}`);
        }
      }
    }
    return await coordinator.finish(wholeRunReportConfig(config, config.target!, false));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (client.isReady) await cleanUp(client, keys, invitations);
    await Promise.allSettled([closeRedis(client), closeRedis(reader)]);
  }
}

/** Remove the run's keys and any invitation no worker took. */
async function cleanUp(client: RedisClient, keys: ReturnType<typeof runKeys>, invitations: string[]): Promise<void> {
  await Promise.allSettled([...invitations.map((i) => client.lRem(QUEUE_KEY, 0, i)), client.del([keys.plan, keys.events, keys.control])]);
}
