// `tokenstorm audio create --dir DIR`: test audio for voice runs (seed 002's --create-test-audio,
// seed 003's "real audio file support"): spoken queries via espeak-ng when it is installed, else
// voice-like buzz of the same lengths, plus a noise burst, a tone and silence; 16-bit PCM mono WAV.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { ESPEAK, espeak, noise, silence, sine, voiceLike } from "../audio/generate.js";
import { encodeWav } from "../audio/wav.js";

interface AudioCreateFlags {
  dir: string;
  rate?: string;
}

/** The spoken queries, each with the length of its voice-like stand-in when espeak-ng is missing. */
const QUERIES: Array<[file: string, text: string, fallbackMs: number]> = [
  ["query_simple.wav", "What time does the store open tomorrow morning?", 2000],
  ["query_tool.wav", "Please check my account balance and email me a summary of last week.", 3000],
  ["query_interrupt.wav", "Actually, wait, tell me about my last order.", 1500],
];

const RATES = [8000, 16000, 22050, 24000, 44100, 48000];

export interface CreatedAudio {
  files: string[];
  spoken: boolean;
}

export function createTestAudio(dir: string, rate: number): CreatedAudio {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--dir ${dir}: ${(err as Error).message}`);
  }
  let spoken = true;
  const clips: Array<[string, Int16Array]> = QUERIES.map(([file, text, fallbackMs]) => {
    const speech = espeak(text, rate);
    if (!speech) spoken = false;
    return [file, speech ?? voiceLike(fallbackMs, rate)];
  });
  clips.push(["noise_300ms.wav", noise(300, rate)], ["tone_440hz_2s.wav", sine(2000, rate)], ["silence_2s.wav", silence(2000, rate)]);
  const files = clips.map(([file, pcm]) => {
    const path = join(dir, file);
    writeFileSync(path, encodeWav(pcm, rate));
    return path;
  });
  return { files, spoken };
}

function create(flags: AudioCreateFlags): void {
  const rate = flags.rate === undefined ? 16000 : Number(flags.rate);
  if (!RATES.includes(rate)) throw new UsageError(`--rate must be one of ${RATES.join(", ")} (got "${flags.rate}")`);
  const created = createTestAudio(flags.dir, rate);
  for (const file of created.files) process.stdout.write(`${file}\n`);
  process.stdout.write(
    created.spoken
      ? `tokenstorm: ${created.files.length} WAV files, 16-bit PCM mono at ${rate} Hz; queries spoken by ${ESPEAK}\n`
      : `tokenstorm: ${created.files.length} WAV files, 16-bit PCM mono at ${rate} Hz; ${ESPEAK} not found, queries are voice-like buzz\n`,
  );
}

export function registerAudioCommand(program: Command): Command {
  const audio = program.command("audio").description("test audio for voice runs");
  audio
    .command("create")
    .description("write test WAV files (16-bit PCM mono): spoken queries (espeak-ng), noise, tone, silence")
    .requiredOption("--dir <dir>", "folder to write into (created if missing)")
    .option("--rate <hz>", `sample rate: ${RATES.join("|")} (default 16000; realtime converts to 24000)`)
    .action((flags: AudioCreateFlags) => create(flags));
  return audio;
}
