// Mono 16-bit PCM helpers shared by the voice agent, the client scenarios and the audio files:
// durations, loudness, and the little-endian byte form both wires carry (base64 in realtime JSON,
// raw bytes in grpc-voice).

/** Samples in `ms` of audio at `rate` Hz (rounded to whole samples). */
export function samplesFor(ms: number, rate: number): number {
  return Math.round((ms * rate) / 1000);
}

/** Duration of `samples` samples at `rate` Hz, in ms. */
export function durationMs(samples: number, rate: number): number {
  return (samples * 1000) / rate;
}

/** Root-mean-square level of samples [from, to) as a fraction of full scale (0..1). */
export function rmsLevel(pcm: Int16Array, from = 0, to = pcm.length): number {
  if (to <= from) return 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = pcm[i]!;
    sum += v * v;
  }
  return Math.sqrt(sum / (to - from)) / 32768;
}

/** The samples as little-endian bytes; shares memory on little-endian hosts (all Node targets). */
export function pcmToBytes(pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Little-endian bytes as samples; copies only when the bytes are not 2-byte aligned. An odd trailing byte is dropped. */
export function bytesToPcm(bytes: Uint8Array): Int16Array {
  const length = bytes.byteLength >> 1;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, length);
  const copy = new Uint8Array(length * 2);
  copy.set(bytes.subarray(0, length * 2));
  return new Int16Array(copy.buffer);
}

export function pcmToBase64(pcm: Int16Array): string {
  return pcmToBytes(pcm).toString("base64");
}

export function base64ToPcm(text: string): Int16Array {
  return bytesToPcm(Buffer.from(text, "base64"));
}

export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Consecutive slices of `chunkSamples` samples (the last may be shorter); views, not copies. */
export function chunkPcm(pcm: Int16Array, chunkSamples: number): Int16Array[] {
  const chunks: Int16Array[] = [];
  for (let at = 0; at < pcm.length; at += chunkSamples) chunks.push(pcm.subarray(at, Math.min(pcm.length, at + chunkSamples)));
  return chunks;
}
