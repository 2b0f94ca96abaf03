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

let batchStampMs = 0;
let batchOpen = false;
function closeBatch(): void {
  batchOpen = false;
}

/**
 * Arrival time of bytes being handled now. Every socket that one poll of the event loop reports
 * ready had its bytes in by the moment the poll returned; handling them one after another must not
 * make the last one look later than the first. So the first caller in a poll phase stamps the
 * time and every caller until the loop's check phase (setImmediate) reuses that stamp. Under a
 * burst of a thousand streams this removes the handling time of the others from each timestamp.
 */
export function arrivalMs(): number {
  if (batchOpen) return batchStampMs;
  batchStampMs = performance.now();
  batchOpen = true;
  setImmediate(closeBatch);
  return batchStampMs;
}
