// Audio made on the spot when no --audio-dir is given: silence, a voice-like signal (a buzz with
// harmonics whose loudness rises and falls at syllable rate but never drops to silence, so energy
// VAD hears one continuous utterance), noise bursts, and real speech through espeak-ng.
import { spawnSync } from "node:child_process";
import { mulberry32 } from "../random.js";
import { samplesFor } from "./pcm.js";
import { resamplePcm } from "./resample.js";
import { parseWav } from "./wav.js";

export const ESPEAK = "espeak-ng";

export function silence(ms: number, rate: number): Int16Array {
  return new Int16Array(samplesFor(ms, rate));
}

/** A 140 Hz voice-like buzz, loudness 0.1-0.3 of full scale at 4 syllables per second. */
export function voiceLike(ms: number, rate: number): Int16Array {
  const out = new Int16Array(samplesFor(ms, rate));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const envelope = 0.2 + 0.1 * Math.sin(2 * Math.PI * 4 * t);
    const buzz = 0.6 * Math.sin(2 * Math.PI * 140 * t) + 0.3 * Math.sin(2 * Math.PI * 280 * t) + 0.1 * Math.sin(2 * Math.PI * 420 * t);
    out[i] = Math.round(32767 * envelope * buzz * 1.4);
  }
  return out;
}

/** White noise at `level` RMS of full scale, from a seeded generator. */
export function noise(ms: number, rate: number, seed = 1, level = 0.1): Int16Array {
  const random = mulberry32(seed);
  const out = new Int16Array(samplesFor(ms, rate));
  // Uniform noise in [-a, a] has RMS a / sqrt(3).
  const amplitude = Math.min(1, level * Math.sqrt(3)) * 32767;
  for (let i = 0; i < out.length; i++) out[i] = Math.round((random() * 2 - 1) * amplitude);
  return out;
}

export function sine(ms: number, rate: number, hz = 440, level = 0.2): Int16Array {
  const out = new Int16Array(samplesFor(ms, rate));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(32767 * level * Math.SQRT2 * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Spoken `text` at `rate` Hz via espeak-ng, or null when espeak-ng is not installed or fails. */
export function espeak(text: string, rate: number): Int16Array | null {
  const result = spawnSync(ESPEAK, ["--stdout", "-s", "165", text], { maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0 || result.stdout.length === 0) return null;
  const wav = parseWav(result.stdout, `${ESPEAK} output`);
  return resamplePcm(wav.pcm, wav.sampleRate, rate);
}
