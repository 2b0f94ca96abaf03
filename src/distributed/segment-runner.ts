// The worker side of a distributed run, whatever the transport: resolve the plan's flags as this
// segment, wait for the common start, run the load test in this process and feed the controller.
import { resolveRunConfig } from "../config/run-config.js";
import { runLoadTest } from "../engine/load-test.js";
import { warmUpDriver } from "../protocols/http/warm-up.js";
import { findProtocol } from "../protocols/registry.js";
import type { Output } from "../report/output.js";
import { RawRequestsOutput } from "../report/raw.js";
import { FeedOutput, type Send } from "./feed.js";
import type { WorkPlan } from "./protocol.js";
import { formatSegment } from "./segment.js";

export interface SegmentRunOptions {
  plan: WorkPlan;
  name: string;
  send: Send;
  /** Raw lines written here instead of the plan's path (a Redis worker's own disk). */
  rawPath?: string | null;
  /** Resolves with the common start time (ms since the epoch) once the controller gives it; null: called off. */
  startAt?: () => Promise<number | null>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Run one segment to its end; every outcome, failures included, is sent as a message. Returns the exit code. */
export async function runSegment(options: SegmentRunOptions): Promise<number> {
  const { plan, send } = options;
  const segment = formatSegment(plan.segment);
  let config;
  try {
    config = resolveRunConfig({ ...plan.flags, segment, quiet: true, save: false });
  } catch (err) {
    await send({ kind: "failed", segment, message: (err as Error).message });
    return 2;
  }
  // Warmed up before saying ready, so the segments start on time together (runLoadTest then finds
  // the driver warm).
  const protocol = findProtocol(config.protocol);
  await (protocol.warmUp ? protocol.warmUp() : warmUpDriver(protocol));
  await send({ kind: "ready", segment, name: options.name });
  const startAtUnixMs = options.startAt ? await options.startAt() : plan.startAtUnixMs;
  if (startAtUnixMs === null) {
    await send({ kind: "failed", segment, message: "the controller called the run off before it started" });
    return 1;
  }
  await sleep(startAtUnixMs - Date.now());
  const outputs: Output[] = [new FeedOutput(segment, send)];
  const rawPath = options.rawPath === undefined ? plan.rawPath : options.rawPath;
  try {
    if (rawPath) outputs.push(new RawRequestsOutput(rawPath));
    const { exitCode } = await runLoadTest({ config, outputs, targetHeaders: plan.targetHeaders, handleSignals: true });
    return exitCode;
  } catch (err) {
    await send({ kind: "failed", segment, message: (err as Error).message });
    return 1;
  }
}
