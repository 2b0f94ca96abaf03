// What the machine shows while a timing test runs. A timing bound is the figure an idle machine
// reaches plus what this machine was seen to add during that very test: the event-loop delay of this
// process (a machine whose cores are taken by other work wakes it late as well) and, where an
// emulator serves the test, the emulator's own lateness record (its timing wheel's GET /stats).
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { LatencySummary } from "../../src/metrics/histogram.js";

/** The event loop's delay beyond its 1 ms sampling timer over the watched span, ms. */
export interface MachineReading {
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const RESOLUTION_MS = 1;

/** Starts sampling this process's event-loop delay; stop() returns what it saw. */
export function watchMachine(): { stop(): MachineReading } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  return {
    stop(): MachineReading {
      histogram.disable();
      // The histogram holds the whole interval between samples (ns); what lies beyond the timer is delay.
      const beyond = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
      return {
        loopDelayP50Ms: beyond(histogram.percentile(50)),
        loopDelayP99Ms: beyond(histogram.percentile(99)),
        loopDelayMaxMs: beyond(histogram.max),
      };
    },
  };
}

/** Runs `body` while watching the machine. */
export async function watched<T>(body: () => Promise<T>): Promise<{ result: T; machine: MachineReading }> {
  const watch = watchMachine();
  let machine: MachineReading | undefined;
  try {
    const result = await body();
    machine = watch.stop();
    return { result, machine };
  } finally {
    if (!machine) watch.stop();
  }
}

/** Fetches a running emulator's timing-wheel lateness (GET /stats), ms. */
export async function emulatorLateness(url: string): Promise<LatencySummary> {
  const response = await fetch(new URL("/stats", url));
  const stats = (await response.json()) as { lateness: LatencySummary };
  return stats.lateness;
}

/**
 * What a figure at a percentile of many timed events may exceed its idle-machine bound by: the same
 * percentile of the delays the machine showed (the larger of this process's and the emulator's).
 */
export function allowanceMs(machine: MachineReading, lateness?: LatencySummary | null, at: "p50" | "p99" | "max" = "p99"): number {
  const loop = at === "p50" ? machine.loopDelayP50Ms : at === "p99" ? machine.loopDelayP99Ms : machine.loopDelayMaxMs;
  const wheel = lateness ? (at === "p50" ? lateness.p50 : at === "p99" ? lateness.p99 : lateness.max) : 0;
  return Math.max(loop, wheel ?? 0);
}

/**
 * The measuring process's own event-loop delay (the report's `client` block, p99 over its seconds): a
 * burst of first tokens that the generator reads one after another is stamped as late as it ran, so
 * a bound on its figures may exceed the idle one by that much as well.
 */
export function generatorAllowanceMs(client: { loop_delay_p99_ms?: number } | undefined): number {
  return client?.loop_delay_p99_ms ?? 0;
}

/** One line saying what the machine showed, for assertion messages. */
export function describeMachine(machine: MachineReading, lateness?: LatencySummary | null): string {
  const loop = `event-loop delay p50 ${machine.loopDelayP50Ms.toFixed(2)} p99 ${machine.loopDelayP99Ms.toFixed(2)} max ${machine.loopDelayMaxMs.toFixed(2)} ms`;
  return lateness ? `${loop}; emulator lateness p50 ${lateness.p50} p99 ${lateness.p99} max ${lateness.max} ms` : loop;
}
