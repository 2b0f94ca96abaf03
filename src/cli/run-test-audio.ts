// `tokenstorm run --create-test-audio --audio-dir DIR` (seed 002's way to prepare a run): write the
// test WAV files of `tokenstorm audio create` at 16 kHz into DIR and stop, so the next run speaks them.
import { UsageError } from "../errors.js";
import { createTestAudio } from "./audio.js";

/** Seed 002's gateway takes 16 kHz audio. */
const RATE = 16000;

export function createRunTestAudio(audioDir: string | undefined): number {
  if (audioDir === undefined) throw new UsageError("--create-test-audio needs --audio-dir (where to write the WAV files)");
  const created = createTestAudio(audioDir, RATE);
  for (const file of created.files) process.stdout.write(`${file}\n`);
  const queries = created.spoken ? "queries spoken by espeak-ng" : "queries are voice-like buzz (espeak-ng not found)";
  process.stdout.write(`tokenstorm: wrote ${created.files.length} WAV files (16-bit PCM mono, ${RATE} Hz; ${queries}); run with --audio-dir ${audioDir} to use them\n`);
  return 0;
}
