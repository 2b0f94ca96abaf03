// Open-model arrivals as they were carried out: how many, the first and last, and the worst lag
// behind the schedule — enough for the achieved arrival rate without keeping any per-arrival data.
import type { ArrivalsBlock } from "../report/types.js";

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export class ArrivalRecorder {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  maxLagMs = 0;

  /** Arrivals may be recorded out of order (a sent one when its request has finished). */
  record(intendedAt: number, takenAt: number): void {
    if (this.count === 0 || takenAt < this.firstAt) this.firstAt = takenAt;
    if (this.count === 0 || takenAt > this.lastAt) this.lastAt = takenAt;
    this.count++;
    const lag = takenAt - intendedAt;
    if (lag > this.maxLagMs) this.maxLagMs = lag;
  }

  /** The report block, with times from `zeroAt` (the collector's start); null when nothing arrived. */
  block(zeroAt: number): ArrivalsBlock | null {
    if (this.count === 0) return null;
    return arrivalsBlock(this.count, this.firstAt - zeroAt, this.lastAt - zeroAt, this.maxLagMs);
  }
}

export function arrivalsBlock(count: number, firstMs: number, lastMs: number, maxLagMs: number): ArrivalsBlock {
  const spanS = (lastMs - firstMs) / 1000;
  return {
    count,
    achieved_rps: count > 1 && spanS > 0 ? round((count - 1) / spanS) : null,
    max_lag_ms: round(maxLagMs),
    first_ms: round(firstMs),
    last_ms: round(lastMs),
  };
}
