// Building blocks for arrival schedules: arrivals for a piecewise-constant rate computed from the
// schedule's start, so a timer firing late can never push later arrivals back.

/** A stretch of time at one arrival rate; `ms` may be Infinity for the last stretch. */
export interface RateSegment {
  rps: number;
  ms: number;
}

// Float sums of rates × seconds land a hair off whole counts (0.1 × 30); this keeps them whole.
const EPSILON = 1e-9;

/**
 * Arrival offsets (ms) for a sequence of constant-rate stretches, ending before `endMs`. Arrival n
 * is due when the cumulative expected count reaches n, and the count carries across stretches, so a
 * 0.5 rps stage followed by another still yields one arrival per two seconds.
 */
export function* piecewiseArrivals(segments: Iterable<RateSegment>, endMs: number | null): Generator<number> {
  const end = endMs ?? Infinity;
  let segmentStart = 0;
  let countAtStart = 0;
  for (const { rps, ms } of segments) {
    if (segmentStart >= end) return;
    const countAtEnd = countAtStart + rps * (ms / 1000);
    if (rps > 0) {
      for (let n = Math.ceil(countAtStart - EPSILON); n < countAtEnd - EPSILON; n++) {
        const at = segmentStart + ((n - countAtStart) / rps) * 1000;
        if (at >= end) return;
        yield at;
      }
    }
    segmentStart += ms;
    countAtStart = countAtEnd;
  }
}
