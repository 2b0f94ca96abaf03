// The latency histogram's own arithmetic agrees with hdr-histogram-js's: it builds the same histogram
// as hdr.build did, and its one-walk mean and standard deviation are the library's, bit for bit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as hdr from "hdr-histogram-js";
import { LatencyHistogram } from "../src/metrics/histogram.js";
import { mulberry32 } from "../src/random.js";

describe("latency histogram", () => {
  test("is the histogram hdr.build made: 32-bit counts, 1 us to one hour, 3 digits, no resizing", () => {
    const built = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false }) as hdr.JsHistogram;
    const histogram = new LatencyHistogram();
    assert.equal(histogram["histogram"], null, "no counts before the first sample");
    histogram.recordMs(1);
    const ours = histogram["histogram"] as unknown as hdr.JsHistogram;
    assert.equal(ours.constructor, built.constructor);
    for (const key of ["countsArrayLength", "autoResize", "numberOfSignificantValueDigits", "highestTrackableValue", "lowestDiscernibleValue"] as const) {
      assert.equal(ours[key], built[key], key);
    }
  });

  test("recording is the library's recordValue: counts, extremes, total and encoding, small and large values", () => {
    const random = mulberry32(7);
    for (const scaleMs of [0.5, 2, 3, 40, 5_000, 4_000_000]) {
      const ours = new LatencyHistogram();
      const library = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false }) as hdr.JsHistogram;
      // Bucket edges (2,048 us and its doublings), the largest 32-bit values and past the clamp at one hour.
      const edges = [0, 0.001, 2.047, 2.048, 2.049, 4.095, 4.096, 2_147_483.647, 2_147_483.648, 3_600_000, 3_700_000];
      const samples = [...edges, ...Array.from({ length: 5000 }, () => random() ** 2 * scaleMs)];
      for (const ms of samples) {
        ours.recordMs(ms);
        library.recordValue(Math.min(3_600_000_000, Math.round(ms * 1000)));
      }
      const recorded = ours["histogram"] as unknown as hdr.JsHistogram;
      assert.equal(recorded.totalCount, library.totalCount);
      assert.equal(recorded.maxValue, library.maxValue);
      assert.equal(recorded.minNonZeroValue, library.minNonZeroValue);
      for (const percentile of [0, 50, 90, 99, 99.9, 100]) {
        assert.equal(recorded.getValueAtPercentile(percentile), library.getValueAtPercentile(percentile), `p${percentile} of samples up to ${scaleMs} ms`);
      }
      assert.equal(ours.encode(), hdr.encodeIntoCompressedBase64(library));
    }
  });

  test("mean and standard deviation equal the library's bit for bit, empty, small, wide and clamped", () => {
    const random = mulberry32(16);
    assert.deepEqual(new LatencyHistogram().moments(), { mean: 0, stdDeviation: 0 });
    for (let trial = 0; trial < 120; trial++) {
      const histogram = new LatencyHistogram();
      const scaleMs = [0.01, 1, 50, 1000, 100_000, 4_000_000][trial % 6]!;
      const samples = 1 + Math.floor(random() * 3000);
      for (let i = 0; i < samples; i++) histogram.recordMs(random() ** 3 * scaleMs);
      const library = histogram["histogram"] as unknown as hdr.JsHistogram;
      const { mean, stdDeviation } = histogram.moments();
      assert.ok(Object.is(mean, library.mean), `trial ${trial}: mean ${mean} vs ${library.mean}`);
      assert.ok(Object.is(stdDeviation, library.stdDeviation), `trial ${trial}: stddev ${stdDeviation} vs ${library.stdDeviation}`);
    }
  });

  test("an empty histogram reads, merges, encodes and decodes as empty without allocating its counts", () => {
    const empty = new LatencyHistogram();
    assert.equal(empty.count, 0);
    assert.equal(empty.percentileMs(99), 0);
    assert.equal(empty.summary().p50, 0);
    assert.deepEqual(empty.buckets(), []);
    assert.equal(empty.sumMs, 0);
    empty.reset();
    const target = new LatencyHistogram();
    target.add(empty);
    assert.equal(target["histogram"], null);
    const decoded = LatencyHistogram.decode(empty.encode());
    assert.equal(decoded.count, 0);
    assert.equal(decoded["histogram"], null);
    const full = new LatencyHistogram();
    full.recordMs(2);
    target.add(full);
    assert.equal(target.count, 1);
    assert.equal(target.percentileMs(50), full.percentileMs(50));
  });

  test("encodes as the library's encodeIntoCompressedBase64 does, and decodes its own encoding", () => {
    const histogram = new LatencyHistogram();
    for (const ms of [0.5, 1, 10, 10, 250, 4000]) histogram.recordMs(ms);
    const encoded = histogram.encode();
    assert.equal(encoded, hdr.encodeIntoCompressedBase64(histogram["histogram"] as unknown as hdr.JsHistogram));
    const decoded = LatencyHistogram.decode(encoded);
    assert.deepEqual(decoded.buckets(), histogram.buckets());
    assert.deepEqual(decoded.moments(), histogram.moments());
    // Counts of several LEB128 bytes (up to 2^30: the counts are 32-bit), single empty buckets between counts, and the empty histogram.
    const heavy = histogram["histogram"] as unknown as hdr.JsHistogram;
    heavy.recordValueWithCount(20_000, 3_000_000);
    heavy.recordValueWithCount(20_001, 2 ** 30);
    heavy.recordValueWithCount(20_003, 200);
    assert.equal(histogram.encode(), hdr.encodeIntoCompressedBase64(heavy));
    assert.equal(LatencyHistogram.decode(histogram.encode()).count, heavy.totalCount);
    assert.equal(new LatencyHistogram().encode(), hdr.encodeIntoCompressedBase64(hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false })));
  });
});
