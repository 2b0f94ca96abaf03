// The timing check shared by the accuracy tests over HTTP/1.1 and HTTP/2: a run's TTFT, ITL and TPOT
// p50 against the emulator's known timing, within the idle machine's tolerance plus what this machine
// showed during the run.
import assert from "node:assert/strict";
import type { LatencySummary } from "../../src/metrics/histogram.js";
import type { Report } from "../../src/report/types.js";
import { allowanceMs, describeMachine, generatorAllowanceMs, type MachineReading } from "./machine.js";

export interface EmulatedTiming {
  ttftMs: number;
  itlMs: number;
  /** How far above ttftMs the p50 may read on an idle machine. */
  ttftToleranceMs: number;
}

export function assertStreamTiming(report: Report, machine: MachineReading, lateness: LatencySummary, expected: EmulatedTiming): void {
  const seen = describeMachine(machine, lateness);
  // A late wake-up can land in the emulator (its wheel's lateness) and again in the client, whose own
  // loop delay stamps a burst of first tokens late as well.
  const slack = 2 * Math.max(allowanceMs(machine, lateness), generatorAllowanceMs(report.client));
  const ttft = report.latency.ttft!.p50;
  const itl = report.latency.itl!.p50;
  const tpot = report.latency.tpot!.p50;
  assert.ok(ttft >= expected.ttftMs && ttft - expected.ttftMs <= expected.ttftToleranceMs + slack, `ttft p50 ${ttft} (${seen}; generator ${JSON.stringify(report.client)})`);
  assert.ok(Math.abs(itl - expected.itlMs) <= 1 + slack, `itl p50 ${itl} (${seen})`);
  // TPOT averages each request's gaps: the emulator's cadence is drift-free, so it is exact.
  assert.ok(Math.abs(tpot - expected.itlMs) <= 0.5 + slack, `tpot p50 ${tpot} (${seen})`);
}
