// What a controller (the `run --workers` parent, or `run --redis`) and its workers say to each other,
// the same over a local IPC channel and over Redis: the plan one segment runs, then the worker's
// ready signal, its per-second progress, heartbeats and final report.
import type { RawRunFlags } from "../config/run-config.js";
import type { LiveSnapshot } from "../report/output.js";
import type { Report } from "../report/types.js";
import type { Segment } from "./segment.js";

/** Flags only the controller acts on: outputs, gates and the distribution itself. */
const CONTROLLER_ONLY = [
  "workers", "redis", "expectWorkers", "registerTimeout", "heartbeatTimeout", "segment",
  "out", "raw", "csv", "html", "save", "resultsDir", "threshold", "quiet", "verbose",
  "prometheusPort", "prometheusHost", "web", "webPort", "webHost", "linger",
] as const;

export interface WorkPlan {
  runId: string;
  /** The whole run's flags, with what the controller settled (target, seed, length) written in. */
  flags: RawRunFlags;
  segment: Segment;
  /** Extra headers for the target (the emulator's timing hints for --delay / --ttft). */
  targetHeaders: Record<string, string>;
  /** Wall-clock time every segment starts at, ms since the epoch. */
  startAtUnixMs: number;
  /** Where the segment writes its raw per-request lines (null: nowhere). */
  rawPath: string | null;
}

export type WorkerMessage =
  | { kind: "hello"; name: string }
  | { kind: "ready"; segment: string; name: string }
  | { kind: "heartbeat"; segment: string }
  | { kind: "tick"; segment: string; snapshot: LiveSnapshot; histograms: Record<string, string> }
  | { kind: "report"; segment: string; report: Report }
  | { kind: "failed"; segment: string; message: string };

/**
 * The flags a worker runs with: the controller's own, minus what only the controller does, with the
 * values a worker must not choose for itself fixed: the target, the open model's seed (every
 * segment draws the same schedule) and the response length (the embedded default needs no target).
 */
export function workerFlags(flags: RawRunFlags, settled: { target: string; seed: number | null; length: number | null; exactTokens: boolean }): RawRunFlags {
  const plan: Record<string, unknown> = { ...flags };
  for (const key of CONTROLLER_ONLY) delete plan[key];
  plan["target"] = settled.target;
  if (settled.seed !== null) plan["seed"] = String(settled.seed);
  if (settled.length !== null) plan["length"] = String(settled.length);
  if (settled.exactTokens) plan["exactTokens"] = true;
  return plan as RawRunFlags;
}
