// HDR-histogram recorder for latency metrics. Values are recorded in microseconds (integers) so that
// sub-millisecond differences survive, and summarised in milliseconds. Memory is fixed regardless of
// sample count; histograms can be encoded and merged (distributed runs merge, never average).
import { createRequire } from "node:module";
import type * as hdr from "hdr-histogram-js";
import Int32HistogramModule from "hdr-histogram-js/dist/Int32Histogram.js";
import { encodeCompressedBase64 } from "./hdr-encoding.js";

// The package's index also loads its WebAssembly build, log reader and writer and the compression
// of the encoded form: only the 32-bit JS histogram is loaded up front; encoding (every report's
// merge data) is hdr-encoding.ts's, and decoding (merges, segments) loads the whole package.
const Int32Histogram = Int32HistogramModule.default;
const require = createRequire(import.meta.url);
let decoder: typeof hdr | undefined;

/** Summary statistics of one latency metric, all in milliseconds (report contract). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export const LATENCY_STATS = ["count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"] as const;

const MICROS_PER_MS = 1000;
/** One hour in microseconds: larger values are clamped (and counted) rather than resizing forever. */
const HIGHEST_TRACKABLE_US = 3_600_000_000;

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** An empty histogram's counts: what `filled` allocates on a histogram's first sample. */
function emptyHdr(): hdr.JsHistogram {
  // What hdr.build makes of bitBucketSize 32 without WebAssembly, autoResize off (its own default
  // for a constructed histogram).
  return new Int32Histogram(1, HIGHEST_TRACKABLE_US, 3);
}

export class LatencyHistogram {
  /**
   * The counts (92 KB at this range and precision), allocated on the first sample: a run keeps a
   * histogram per metric, per request type and per second, most of which never see a sample.
   */
  private histogram: hdr.JsHistogram | null = null;

  private filled(): hdr.JsHistogram {
    return (this.histogram ??= emptyHdr());
  }

  /** Record one sample given in milliseconds. Negative values (clock misuse) are clamped to 0. */
  recordMs(ms: number): void {
    let us = Math.round(ms * MICROS_PER_MS);
    if (us < 0) us = 0;
    else if (us > HIGHEST_TRACKABLE_US) us = HIGHEST_TRACKABLE_US;
    const h = this.filled();
    // The emulator records two samples per token. What recordValue does, without its three
    // Math.pow/log2 calls per sample: with a lowest discernible value of 1, value v counts at
    // bucket b = max(0, floor(log2 v) - subBucketHalfCountMagnitude), index b * subBucketHalfCount
    // + (v >>> b), and v itself is the max or min it updates (tested against recordValue).
    const bucket = Math.max(0, 31 - Math.clz32(us) - h.subBucketHalfCountMagnitude);
    h.incrementCountAtIndex(bucket * h.subBucketHalfCount + (us >>> bucket));
    if (us > h.maxValue) h.maxValue = us;
    if (us !== 0 && us < h.minNonZeroValue) h.minNonZeroValue = us;
    h.incrementTotalCount();
  }

  get count(): number {
    return this.histogram === null ? 0 : this.histogram.totalCount;
  }

  /** Value at a percentile (0..100), in milliseconds. */
  percentileMs(percentile: number): number {
    const h = this.histogram;
    if (h === null || h.totalCount === 0) return 0;
    return Math.min(h.maxValue, this.centredValueAt(h, percentile)) / MICROS_PER_MS;
  }

  /**
   * HDR answers a percentile with the top of the bucket holding it, a bias of up to one bucket
   * (0.1%) upwards; the bucket's middle is the unbiased estimate.
   */
  private centredValueAt(h: hdr.JsHistogram, percentile: number): number {
    return h.medianEquivalentValue(h.getValueAtPercentile(percentile));
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h === null || h.totalCount === 0) {
      return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    }
    // HDR reports a percentile as the top of its bucket; the exact extremes are known, so no
    // percentile is allowed past the recorded max (or below the recorded min).
    const moments = this.moments();
    const maxUs = h.maxValue;
    const minUs = h.getValueAtPercentile(0) === 0 ? 0 : h.minNonZeroValue;
    const at = (p: number): number => round3(Math.max(minUs, Math.min(maxUs, this.centredValueAt(h, p))) / MICROS_PER_MS);
    return {
      count: h.totalCount,
      min: round3(minUs / MICROS_PER_MS),
      mean: round3(moments.mean / MICROS_PER_MS),
      stddev: round3(moments.stdDeviation / MICROS_PER_MS),
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      max: round3(maxUs / MICROS_PER_MS),
    };
  }

  reset(): void {
    this.histogram?.reset();
  }

  /** Add every sample of another histogram into this one. */
  add(other: LatencyHistogram): void {
    if (other.count > 0) this.filled().add(other.histogram!);
  }

  /**
   * Every non-empty bucket, ascending, as [highest value it holds in ms, count]: Prometheus buckets and
   * distribution charts are derived from these at read time (O(buckets), never per sample).
   */
  buckets(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const h = this.histogram;
    if (h === null) return out;
    const iterator = h.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      out.push([h.highestEquivalentValue(step.valueIteratedTo) / MICROS_PER_MS, step.countAtValueIteratedTo]);
    }
    return out;
  }

  /** Sum of every sample, ms (from the histogram's mean: exact to its 0.1% resolution). */
  get sumMs(): number {
    const count = this.count;
    return count === 0 ? 0 : (this.moments().mean * count) / MICROS_PER_MS;
  }

  /**
   * The library's mean and standard deviation, bit for bit (the same sums in the same bucket order),
   * from a plain walk over the counts: its recorded-values iterator makes three slower walks (mean,
   * then mean again inside the deviation), the bulk of a small run's report time.
   */
  moments(): { mean: number; stdDeviation: number } {
    const h = this.histogram;
    if (h === null || h.totalCount === 0) return { mean: 0, stdDeviation: 0 };
    const total = h.totalCount;
    const walk = (add: (medianUs: number, count: number) => void): void => {
      let seen = 0;
      for (let index = 0; index < h.countsArrayLength && seen < total; index++) {
        const count = h.getCountAtIndex(index);
        if (count === 0) continue;
        seen += count;
        add(h.medianEquivalentValue(h.valueFromIndex(index)), count);
      }
    };
    let sum = 0;
    walk((medianUs, count) => (sum += medianUs * count));
    const mean = sum / total;
    let squares = 0;
    walk((medianUs, count) => {
      const deviation = medianUs - mean;
      squares += deviation * deviation * count;
    });
    return { mean, stdDeviation: Math.sqrt(squares / total) };
  }

  /** Compressed base64 form, for mergeable report files. */
  encode(): string {
    return encodeCompressedBase64(this.histogram ?? emptyHdr());
  }

  static decode(encoded: string): LatencyHistogram {
    const result = new LatencyHistogram();
    decoder ??= require("hdr-histogram-js") as typeof hdr;
    const decoded = decoder.decodeFromCompressedBase64(encoded, 32, false) as hdr.JsHistogram;
    if (decoded.totalCount > 0) result.filled().add(decoded);
    return result;
  }
}
