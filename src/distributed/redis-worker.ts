// `tokenstorm worker --redis URL`: waits for work on the shared queue, takes one segment of a run,
// registers with that run's controller, starts at the common start time, sends a heartbeat and its
// progress every second and its report at the end through the run's event stream, then waits again
// (or exits, with --once, as a Kubernetes Job's pod must).
import type { RawRunFlags } from "../config/run-config.js";
import type { Send } from "./feed.js";
import type { WorkerMessage } from "./protocol.js";
import { closeRedis, connectRedis, encode, pause, readStream, type RedisClient } from "./redis-client.js";
import { PLAN_TTL_S, QUEUE_KEY, runKeys, type ControlMessage, type Invitation, type PublishedPlan } from "./redis-keys.js";
import { formatSegment } from "./segment.js";
import { runSegment } from "./segment-runner.js";

export interface RedisWorkerOptions {
  url: string;
  name: string;
  /** Exit after one run. */
  once: boolean;
  /** Raw per-request lines of each run go here, on this machine (overwritten by the next run). */
  rawPath: string | null;
  /** Seconds to keep trying an unreachable Redis before exiting with 1. */
  giveUpAfterS: number;
  log(line: string): void;
}

/** How long a registered worker waits for the controller's start before giving up on the run. */
const START_PATIENCE_MS = 5 * 60_000;
/** Backoff between tries while Redis does not answer: doubling from the first to the longest. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 4000;

export async function runRedisWorker(options: RedisWorkerOptions): Promise<number> {
  const client = await connectRedis(options.url, 60);
  const blocking = await connectRedis(options.url, 60);
  let stopping = false;
  // A stop asked by the controller interrupts the run but not the worker; a signal stops both.
  let remoteStop = false;
  const onSignal = (): void => {
    if (remoteStop) remoteStop = false;
    else stopping = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const host = new URL(options.url).host;
  options.log(`tokenstorm worker ${options.name}: waiting for work on ${host}`);
  let exitCode = 0;
  /** When Redis stopped answering (null: it answers), and the next wait before trying again. */
  let unreachableSince: number | null = null;
  let backoffMs = RETRY_FIRST_MS;
  try {
    while (!stopping) {
      try {
        const popped = await blocking.brPop(QUEUE_KEY, 1);
        unreachableSince = null;
        backoffMs = RETRY_FIRST_MS;
        if (!popped) continue;
        const invitation = JSON.parse(popped.element) as Invitation;
        const planText = await client.get(runKeys(invitation.runId).plan);
        // An invitation left behind by a controller that is gone.
        if (planText === null) continue;
        const lost = { redis: false };
        exitCode = await runInvitation(client, invitation, JSON.parse(planText) as PublishedPlan, options, () => {
          remoteStop = true;
          process.emit("SIGINT", "SIGINT");
        }, lost);
        if (lost.redis) {
          exitCode = 1;
          break;
        }
        if (options.once) break;
      } catch (err) {
        // Redis is gone (or going): try again with backoff, for a bounded time.
        const now = Date.now();
        if (unreachableSince === null) {
          unreachableSince = now;
          options.log(`tokenstorm worker ${options.name}: cannot reach Redis at ${host} (${(err as Error).message}); retrying for ${options.giveUpAfterS} s`);
        }
        if (now - unreachableSince >= options.giveUpAfterS * 1000) {
          options.log(`tokenstorm worker ${options.name}: Redis at ${host} unreachable for ${options.giveUpAfterS} s: giving up`);
          exitCode = 1;
          break;
        }
        await pause(backoffMs, () => stopping);
        backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await Promise.allSettled([closeRedis(client), closeRedis(blocking)]);
  }
  return exitCode;
}

/**
 * XADD to the run's event stream only while its plan exists, atomically: a heartbeat racing the
 * controller's clean-up must not bring back a stream the controller removed.
 */
const APPEND_IF_RUN_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('XADD', KEYS[2], '*', ARGV[1], ARGV[2]) end return false`;

async function appendIfRunExists(client: RedisClient, keys: ReturnType<typeof runKeys>, message: WorkerMessage): Promise<void> {
  const [[field, value]] = Object.entries(encode(message)) as [[string, string]];
  await client.eval(APPEND_IF_RUN_EXISTS, { keys: [keys.plan, keys.events], arguments: [field, value] });
}

async function runInvitation(
  client: RedisClient,
  invitation: Invitation,
  published: PublishedPlan,
  options: RedisWorkerOptions,
  interrupt: () => void,
  lost: { redis: boolean },
): Promise<number> {
  const keys = runKeys(invitation.runId);
  const segment = formatSegment(invitation.segment);
  options.log(`tokenstorm worker ${options.name}: run ${invitation.runId}, segment ${segment}`);
  let sendFailed = false;
  // Nothing is sent after the last word (a report, or a failure) or once the controller gave up:
  // a late heartbeat would bring back the stream the controller removed.
  let done = false;
  const send: Send = (message: WorkerMessage) => {
    if (done) return Promise.resolve();
    if (message.kind === "report" || message.kind === "failed") done = true;
    return appendIfRunExists(client, keys, message).then(
      () => undefined,
      (err: Error) => {
        if (!sendFailed) options.log(`tokenstorm worker ${options.name}: cannot reach Redis: ${err.message}`);
        sendFailed = true;
      },
    );
  };
  await send({ kind: "heartbeat", segment });
  // Keys of a controller that died without cleaning up expire like its plan.
  await client.expire(keys.events, PLAN_TTL_S).catch(() => undefined);
  const heartbeat = setInterval(() => void send({ kind: "heartbeat", segment }), published.heartbeatMs);
  const control = await connectRedis(options.url, 10);
  let controlId = "0";
  let running = true;
  const nextControl = async (): Promise<ControlMessage | null> => {
    const read = await readStream<ControlMessage>(control, keys.control, controlId, 1000);
    controlId = read.lastId;
    return read.messages.find((m) => m.kind !== "start") ?? read.messages[0] ?? null;
  };
  // After the start, a stop from the controller interrupts the run like Ctrl-C would.
  const watchForStop = async (): Promise<void> => {
    let backoffMs = RETRY_FIRST_MS;
    let unreachableSince: number | null = null;
    while (running) {
      let message: ControlMessage | null;
      try {
        message = await nextControl();
        backoffMs = RETRY_FIRST_MS;
        unreachableSince = null;
      } catch {
        // Redis is down: the run goes on for a while (it may come back); look again later rather
        // than spin. Past the bound nobody will read this segment: stop sending load for nothing.
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince >= options.giveUpAfterS * 1000) {
          options.log(`tokenstorm worker ${options.name}: Redis unreachable for ${options.giveUpAfterS} s: stopping the run`);
          lost.redis = true;
          interrupt();
          return;
        }
        await pause(backoffMs, () => !running);
        backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (message && message.kind !== "start") {
        interrupt();
        return;
      }
    }
  };
  const startAt = async (): Promise<number | null> => {
    const giveUpAt = Date.now() + START_PATIENCE_MS;
    while (Date.now() < giveUpAt) {
      const message = await nextControl();
      if (message?.kind === "start") {
        void watchForStop();
        return message.atUnixMs;
      }
      // Called off, or the controller gave up and removed the run.
      if (message || (await client.exists(keys.plan)) === 0) {
        done = true;
        return null;
      }
    }
    done = true;
    return null;
  };
  try {
    return await runSegment({
      plan: { runId: invitation.runId, flags: published.flags as RawRunFlags, segment: invitation.segment, targetHeaders: published.targetHeaders, startAtUnixMs: 0, rawPath: null },
      name: options.name,
      send,
      rawPath: options.rawPath,
      startAt,
    });
  } finally {
    running = false;
    clearInterval(heartbeat);
    await closeRedis(control);
  }
}
