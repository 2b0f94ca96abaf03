// WAV files of 16-bit PCM mono: reading with validation that names the file and what is wrong,
// and writing. Other layouts (stereo, 8/24/32-bit, float, compressed) are refused, never guessed at.
import { bytesToPcm, pcmToBytes } from "./pcm.js";

export interface WavAudio {
  sampleRate: number;
  pcm: Int16Array;
}

const PCM_FORMAT = 1;
const EXTENSIBLE_FORMAT = 0xfffe;

/** A file that is not 16-bit PCM mono WAV; the message names the file. */
export class WavError extends Error {}

export function parseWav(bytes: Buffer, file: string): WavAudio {
  const fail = (why: string): never => {
    throw new WavError(`${file}: ${why}`);
  };
  if (bytes.length < 12 || bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") fail("not a WAV file (no RIFF/WAVE header)");
  let format: { tag: number; channels: number; rate: number; bits: number } | null = null;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString("ascii", at, at + 4);
    const declared = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    // Streamed WAVs (espeak-ng --stdout) declare a huge data size: the data runs to the end of the file.
    const size = Math.min(declared, bytes.length - body);
    if (id === "fmt ") {
      if (size < 16) fail("fmt chunk too short");
      let tag = bytes.readUInt16LE(body);
      if (tag === EXTENSIBLE_FORMAT && size >= 26) tag = bytes.readUInt16LE(body + 24);
      format = { tag, channels: bytes.readUInt16LE(body + 2), rate: bytes.readUInt32LE(body + 4), bits: bytes.readUInt16LE(body + 14) };
    } else if (id === "data") {
      if (!format) return fail("data before the fmt chunk");
      if (format.tag !== PCM_FORMAT) fail(`audio format ${format.tag} is not PCM (need 16-bit PCM mono)`);
      if (format.bits !== 16) fail(`${format.bits}-bit samples (need 16-bit PCM mono)`);
      if (format.channels !== 1) fail(`${format.channels} channels (need mono)`);
      if (format.rate < 8000 || format.rate > 192000) fail(`sample rate ${format.rate} Hz is out of range`);
      return { sampleRate: format.rate, pcm: bytesToPcm(Buffer.from(bytes.subarray(body, body + size))) };
    }
    at = body + size + (size % 2);
  }
  return fail("no data chunk");
}

export function encodeWav(pcm: Int16Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(PCM_FORMAT, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.byteLength, 40);
  return Buffer.concat([header, pcmToBytes(pcm)]);
}
