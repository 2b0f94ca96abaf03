// Monotonic time for every measurement: milliseconds as a float with sub-microsecond resolution,
// never affected by wall-clock adjustments. Wall-clock time is used only to label reports.
import { performance } from "node:perf_hooks";

/** Milliseconds since process start on the monotonic clock. */
export function nowMs(): number {
  return performance.now();
}

/** Wall-clock ISO time for labels (never for measuring durations). */
export function wallClockIso(): string {
  return new Date().toISOString();
}
