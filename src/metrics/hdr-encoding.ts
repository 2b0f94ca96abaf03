// HdrHistogram's compressed V2 encoding (the base64 form every report's merge data carries), written
// here instead of loading hdr-histogram-js's encoder, which brings a browser deflate library and a
// base64 package with it: about 40 ms of a one-request run's start-up, and its per-count calls made a
// histogram's encoding several times slower than this single walk. The bytes are the library's own
// (the same header, the same zlib stream from Node's deflate), so its decoder and older reports read
// them unchanged; test/histogram.test.ts compares the two.
import { deflateSync } from "node:zlib";

/** What the encoding reads of a histogram: hdr-histogram-js's JsHistogram has these members. */
export interface EncodableCounts {
  readonly numberOfSignificantValueDigits: number;
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  readonly maxValue: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
}

/** V2 cookies with word size 9 (LEB128-64b9B + ZigZag), the "TLZE" bit set, as the library writes them. */
const ENCODING_COOKIE = 0x1c849303 | 0x10;
const COMPRESSED_ENCODING_COOKIE = 0x1c849304 | 0x10;
/** Cookie, payload length, normalizing index offset, significant digits, lowest, highest, conversion ratio. */
const HEADER_BYTES = 4 + 4 + 4 + 4 + 8 + 8 + 8;

/** Appends one ZigZag LEB128 word (counts and zero runs stay far below 2^53, so 8 bytes at most). */
function putZigZag(bytes: number[], value: number): void {
  let word = value >= 0 ? value * 2 : -value * 2 - 1;
  while (word >= 128) {
    bytes.push((word % 128) + 128);
    word = Math.floor(word / 128);
  }
  bytes.push(word);
}

/**
 * The counts up to the one holding the maximum value: a positive word per count, a negative word
 * for a run of two or more empty buckets.
 */
function payloadOf(histogram: EncodableCounts): number[] {
  const bytes: number[] = [];
  const limit = histogram.countsArrayIndex(histogram.maxValue) + 1;
  let index = 0;
  while (index < limit) {
    const count = histogram.getCountAtIndex(index++);
    if (count < 0) throw new Error(`cannot encode a histogram with a negative count (${count} at index ${index - 1})`);
    if (count > 0) {
      putZigZag(bytes, count);
      continue;
    }
    let zeros = 1;
    while (index < limit && histogram.getCountAtIndex(index) === 0) {
      zeros++;
      index++;
    }
    putZigZag(bytes, zeros > 1 ? -zeros : 0);
  }
  return bytes;
}

/** The histogram as HdrHistogram's compressed base64 (decodeFromCompressedBase64 reads it). */
export function encodeCompressedBase64(histogram: EncodableCounts): string {
  const payload = payloadOf(histogram);
  const plain = Buffer.alloc(HEADER_BYTES + payload.length);
  plain.writeInt32BE(ENCODING_COOKIE, 0);
  plain.writeInt32BE(payload.length, 4);
  // The library writes 1 for the normalizing index offset and an integer 1 for the conversion ratio.
  plain.writeInt32BE(1, 8);
  plain.writeInt32BE(histogram.numberOfSignificantValueDigits, 12);
  plain.writeBigInt64BE(BigInt(histogram.lowestDiscernibleValue), 16);
  plain.writeBigInt64BE(BigInt(histogram.highestTrackableValue), 24);
  plain.writeBigInt64BE(1n, 32);
  for (let i = 0; i < payload.length; i++) plain[HEADER_BYTES + i] = payload[i]!;
  const compressed = deflateSync(plain);
  const framed = Buffer.alloc(8 + compressed.length);
  framed.writeInt32BE(COMPRESSED_ENCODING_COOKIE, 0);
  framed.writeInt32BE(compressed.length, 4);
  compressed.copy(framed, 8);
  return framed.toString("base64");
}
