// Capacity sweep: the same load test at rising arrival rates (open model, constant arrivals) or
// concurrencies (closed model), each step judged against SLO thresholds. The capacity is the highest
// step that meets every SLO with every step below it meeting them too; the sweep stops after a run
// of failing steps. Every step talks to one target — with no --target, one embedded emulator started
// here for all steps, so its state (queue, warm JIT) is the same kind of server throughout.
import { resolveRunConfig, type RawRunFlags, type RunConfig } from "../config/run-config.js";
import type { EmulatorOptions } from "../emulator/options.js";
import { startEmulatorThread, type EmbeddedEmulator } from "../emulator/worker.js";
import { findProtocol } from "../protocols/registry.js";
import type { Output } from "../report/output.js";
import type { Report } from "../report/types.js";
import { runLoadTest } from "./load-test.js";

export type SweepMode = "rate" | "concurrency";

export interface SweepOptions {
  mode: SweepMode;
  /** Step values in order (requests/s or concurrent requests); may be endless. */
  values: Iterable<number>;
  stepDurationS: number;
  /** Threshold expressions every step must meet (`ttft.p95<500ms`). */
  slos: readonly string[];
  /** Stop after this many failing steps in a row. */
  stopAfterFailures: number;
  /** Flags every step shares (target, protocol, model, length, prompts, headers...). */
  baseFlags: RawRunFlags;
  /** The embedded emulator's options, used when baseFlags has no target. */
  emulator?: EmulatorOptions;
  /** Outputs for one step's run (live progress...); each step gets fresh ones. */
  outputs?(value: number): Output[];
  /** Called before and after each step. */
  onStepStart?(value: number, index: number): void;
  onStep?(step: SweepStep): void;
  log?(line: string): void;
}

export interface SweepStep {
  value: number;
  ok: boolean;
  /** SLO expressions the step missed. */
  failed: string[];
  /** Stopped by Ctrl-C: not judged. */
  interrupted: boolean;
  report: Report;
}

export interface SweepResult {
  mode: SweepMode;
  target: string;
  embeddedEmulator: boolean;
  steps: SweepStep[];
  /** Highest step meeting the SLOs with all below it; null when the first step already misses them. */
  capacity: number | null;
  /** True when a step above the capacity failed, so the limit was found rather than not reached. */
  limitFound: boolean;
  interrupted: boolean;
}

/** The run flags of one step. */
export function stepFlags(options: Pick<SweepOptions, "mode" | "stepDurationS" | "slos" | "baseFlags">, value: number, target?: string): RawRunFlags {
  const shared: RawRunFlags = {
    ...options.baseFlags,
    ...(target !== undefined ? { target } : {}),
    duration: String(options.stepDurationS),
    threshold: [...options.slos],
    quiet: true,
    save: false,
  };
  if (options.mode === "rate") return { ...shared, pattern: "constant", rps: String(value) };
  return { ...shared, clients: String(value), maxConcurrent: String(value) };
}

/** Resolve the first step's flags, so a bad flag fails before any server starts. */
export function checkSweep(options: SweepOptions, firstValue: number): RunConfig {
  const config = resolveRunConfig(stepFlags(options, firstValue, options.baseFlags.target ?? "http://127.0.0.1:1/"));
  findProtocol(config.protocol);
  return config;
}

export function capacityOf(steps: readonly SweepStep[]): { capacity: number | null; limitFound: boolean } {
  let capacity: number | null = null;
  for (const step of steps) {
    if (step.interrupted) break;
    if (!step.ok) return { capacity, limitFound: true };
    capacity = step.value;
  }
  return { capacity, limitFound: false };
}

/** One HTTP emulator for every step; protocols with their own embedded server start it per step. */
async function sharedEmulator(options: SweepOptions): Promise<EmbeddedEmulator | null> {
  if (options.baseFlags.target !== undefined) return null;
  const protocol = findProtocol(options.baseFlags.protocol ?? "openai-chat");
  if (protocol.startEmbedded) return null;
  return startEmulatorThread({ host: "127.0.0.1", port: 0, ndjsonCompletions: protocol.name === "ndjson", ...options.emulator });
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const log = options.log ?? (() => undefined);
  const emulator = await sharedEmulator(options);
  if (emulator) log(`tokenstorm: embedded emulator on ${emulator.url} for every step`);
  else if (options.baseFlags.target === undefined) log(`tokenstorm: --protocol ${options.baseFlags.protocol} starts its own embedded server for each step`);
  const steps: SweepStep[] = [];
  let target = options.baseFlags.target ?? "embedded";
  try {
    let failuresInARow = 0;
    let index = 0;
    for (const value of options.values) {
      options.onStepStart?.(value, index++);
      const config = resolveRunConfig(stepFlags(options, value, emulator?.url));
      // Our emulator sends one token per chunk, as run's own embedded one does: count token loss.
      if (emulator) config.exactTokens = true;
      const result = await runLoadTest({ config, outputs: options.outputs?.(value) ?? [], handleSignals: true });
      target = result.target;
      const failed = result.report.thresholds.filter((t) => !t.ok).map((t) => t.expression);
      const interrupted = result.report.summary.interrupted;
      const step: SweepStep = { value, ok: failed.length === 0 && !interrupted, failed, interrupted, report: result.report };
      steps.push(step);
      options.onStep?.(step);
      if (interrupted) break;
      failuresInARow = step.ok ? 0 : failuresInARow + 1;
      if (failuresInARow >= options.stopAfterFailures) break;
    }
  } finally {
    await emulator?.close();
  }
  return {
    mode: options.mode,
    target: emulator ? emulator.url : target,
    embeddedEmulator: options.baseFlags.target === undefined,
    steps,
    ...capacityOf(steps),
    interrupted: steps.some((s) => s.interrupted),
  };
}
