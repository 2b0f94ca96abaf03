// What a controller (the `run --workers` parent, or `run --redis`) and its workers say to each other,
// the same over a local IPC channel and over Redis: the plan one segment runs, then the worker's
// ready signal, its per-second progress, heartbeats and final report.
import type { RawRunFlags } from "../config/run-config.js";
import type { LiveSnapshot } from "../report/output.js";
import type { Report } from "../report/types.js";
import type { Segment } from "./segment.js";
import { applyEnvironment } from "../config/environment.js";

/** Flags only the controller acts on: outputs, gates and the distribution itself. */
const CONTROLLER_ONLY = [
  "workers", "redis", "expectWorkers", "registerTimeout", "heartbeatTimeout", "segment",
  "out", "raw", "csv", "html", "save", "resultsDir", "threshold", "quiet", "verbose",
  "prometheusPort", "prometheusHost", "web", "webPort", "webHost", "linger", "allowFailures", "allowedHost",
] as const;

/**
 * Flags that only time or break the embedded emulator (--voice-*, --grpc-unavailable-rate): the
 * controller starts that emulator and hands workers its URL, and with a target they are usage errors.
 */
function embeddedEmulatorOnly(flag: string): boolean {
  return /^voice[A-Z]/.test(flag) || flag === "grpcUnavailableRate";
}

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

/** Seed 000's environment variables behind flags: the controller's values travel as flags. */
const ENVIRONMENT_FLAGS = {
  length: "RESPONSE_LENGTH_WORDS",
  delay: "TOKEN_DELAY_SECONDS",
  maxConcurrent: "MAX_CONCURRENT_CLIENTS",
  connectTimeout: "CONNECTION_TIMEOUT",
  timeout: "REQUEST_TIMEOUT",
} as const;
/** Only the plain closed model reads these (with --pattern or --users they would be errors). */
const CLOSED_ENVIRONMENT_FLAGS = { clients: "NUM_CLIENTS", cycles: "CYCLES_PER_CLIENT" } as const;

/**
 * The flags a worker runs with: the controller's own, minus what only the controller does, with the
 * values a worker must not choose for itself fixed: the target, the open model's seed (every
 * segment draws the same schedule) and the response length (the embedded default needs no target).
 */
export function workerFlags(
  flags: RawRunFlags,
  settled: { target: string; seed: number | null; length: number | null; exactTokens: boolean; closedModel: boolean },
  env: NodeJS.ProcessEnv = process.env,
): RawRunFlags {
  // TOKENSTORM_* variables go along as the flags they set.
  const plan: Record<string, unknown> = { ...applyEnvironment(flags, flags.environment).flags };
  delete plan["environment"];
  for (const key of CONTROLLER_ONLY) delete plan[key];
  for (const key of Object.keys(plan)) if (embeddedEmulatorOnly(key)) delete plan[key];
  // A worker elsewhere has its own environment: what shaped this run goes along explicitly.
  const fromEnvironment = { ...ENVIRONMENT_FLAGS, ...(settled.closedModel ? CLOSED_ENVIRONMENT_FLAGS : {}) };
  for (const [flag, variable] of Object.entries(fromEnvironment)) {
    if (plan[flag] === undefined && env[variable]) plan[flag] = env[variable];
  }
  plan["target"] = settled.target;
  if (settled.seed !== null) plan["seed"] = String(settled.seed);
  if (settled.length !== null) plan["length"] = String(settled.length);
  if (settled.exactTokens) plan["exactTokens"] = true;
  return plan as RawRunFlags;
}
