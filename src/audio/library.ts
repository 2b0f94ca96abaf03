// The audio a voice run speaks: the WAV files of --audio-dir (validated, converted to the session's
// rate with a note saying so), or generated utterances of seed 003's lengths when no directory is given.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { noise, voiceLike } from "./generate.js";
import { resamplePcm } from "./resample.js";
import { parseWav, WavError } from "./wav.js";

/** What a scenario needs to say: seed 003's query lengths, and the short noise of a false alarm. */
export type UtteranceKind = "query" | "tool_query" | "interrupting_query" | "noise";

/** Seed 003's lengths for generated audio, ms. */
const GENERATED_MS: Record<UtteranceKind, number> = { query: 2000, tool_query: 3000, interrupting_query: 1500, noise: 300 };

export interface AudioLibrary {
  readonly sampleRate: number;
  /** One line per file converted from another rate, for the console. */
  readonly notes: readonly string[];
  /** Audio for the `index`-th use of `kind` (files are taken in turn). */
  utterance(kind: UtteranceKind, index: number): Int16Array;
  describe(): string;
}

export function generatedAudio(sampleRate: number): AudioLibrary {
  const cache = new Map<UtteranceKind, Int16Array>();
  return {
    sampleRate,
    notes: [],
    utterance: (kind) => {
      let pcm = cache.get(kind);
      if (!pcm) {
        pcm = kind === "noise" ? noise(GENERATED_MS.noise, sampleRate) : voiceLike(GENERATED_MS[kind], sampleRate);
        cache.set(kind, pcm);
      }
      return pcm;
    },
    describe: () => `generated audio (voice-like buzz: 2 s queries, 3 s tool queries, 1.5 s interruptions, 0.3 s noise) at ${sampleRate} Hz`,
  };
}

interface Clip {
  file: string;
  sampleRate: number;
  pcm: Int16Array;
}

/** Read and validate every .wav of `dir`; a file that is not 16-bit PCM mono is a usage error naming it. */
export function readAudioDir(dir: string): Clip[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.toLowerCase().endsWith(".wav")).sort();
  } catch (err) {
    throw new UsageError(`--audio-dir ${dir}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (err as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`--audio-dir ${dir}: no .wav files`);
  return names.map((name) => {
    const file = join(dir, name);
    try {
      const wav = parseWav(readFileSync(file), file);
      if (wav.pcm.length === 0) throw new WavError(`${file}: no audio samples`);
      return { file, ...wav };
    } catch (err) {
      if (err instanceof WavError) throw new UsageError(`--audio-dir: ${err.message}`);
      throw new UsageError(`--audio-dir: ${file}: ${(err as Error).message}`);
    }
  });
}

/** The files of `dir` at `sampleRate`; each converted file gets a note. */
export function loadAudioDir(dir: string, sampleRate: number): AudioLibrary {
  const notes: string[] = [];
  const clips = readAudioDir(dir).map((clip) => {
    if (clip.sampleRate !== sampleRate) notes.push(`${clip.file}: ${clip.sampleRate} Hz resampled to ${sampleRate} Hz`);
    return resamplePcm(clip.pcm, clip.sampleRate, sampleRate);
  });
  const generatedNoise = noise(GENERATED_MS.noise, sampleRate);
  return {
    sampleRate,
    notes,
    // A false alarm is a short noise whatever the files say; the files are what the user asks.
    utterance: (kind, index) => (kind === "noise" ? generatedNoise : clips[index % clips.length]!),
    describe: () => `${clips.length} WAV file(s) from ${dir} at ${sampleRate} Hz`,
  };
}
