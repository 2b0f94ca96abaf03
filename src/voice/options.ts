// The voice emulator's settings: their flags and rules (read as flags through the zod schema of
// ./settings.ts by `tokenstorm emulate` and `tokenstorm run`), and their validation into
// VoiceAgentOptions here, without zod: this runs on the emulator's worker thread and fleet workers.
import { UsageError } from "../errors.js";
import { VOICE_AGENT_DEFAULTS } from "./host.js";
import type { ServerVad, VoiceAgentOptions } from "./types.js";

/** What a user may set; the rest (failure rates, seed) comes from the emulator's shared options. */
export type VoiceEmulatorSettings = Partial<Omit<VoiceAgentOptions, "seed" | "errorRate" | "dropRate" | "turnDetection">> & {
  turnDetection?: "server_vad" | "none";
  vadThreshold?: number;
  prefixPaddingMs?: number;
  silenceDurationMs?: number;
};

export type VoiceRule = "nonNegative" | "positive" | "fraction";
export type NumericVoiceSetting = Exclude<keyof VoiceEmulatorSettings, "turnDetection">;

/** flag, setting, rule, help. The defaults are VOICE_AGENT_DEFAULTS' (voiceDefaultOf). */
export const VOICE_FLAGS: Array<[flag: string, setting: NumericVoiceSetting, rule: VoiceRule, help: string]> = [
  ["--voice-stt-ms", "sttMs", "nonNegative", "voice: end of user speech to final transcript"],
  ["--voice-llm-ms", "llmFirstTokenMs", "nonNegative", "voice: transcript to the LLM's first token"],
  ["--voice-tts-ms", "ttsFirstAudioMs", "nonNegative", "voice: first token to first audio (TTFA = stt + llm + tts)"],
  ["--voice-audio-ms", "responseAudioMs", "positive", "voice: length of each spoken answer, ms of audio"],
  ["--voice-chunk-ms", "chunkMs", "positive", "voice: audio per delta event, ms"],
  ["--voice-pace", "pace", "positive", "voice: playback speed, 1 = real time, 10 = ten times faster"],
  ["--voice-min-interruption-ms", "minInterruptionMs", "nonNegative", "voice: speech during a response shorter than this is a false alarm"],
  ["--voice-vad-threshold", "vadThreshold", "fraction", "voice: server VAD speech level, RMS as a fraction of full scale"],
  ["--voice-prefix-padding-ms", "prefixPaddingMs", "nonNegative", "voice: server VAD audio kept before speech start"],
  ["--voice-silence-ms", "silenceDurationMs", "nonNegative", "voice: server VAD silence that ends a turn"],
  ["--voice-tool-ms", "toolCallMs", "nonNegative", "voice: response start to the function call (tool choice latency)"],
  ["--voice-slow-start-rate", "slowStartRate", "fraction", "voice: fraction of responses whose first audio is late by --voice-slow-start-ms"],
  ["--voice-slow-start-ms", "slowStartMs", "nonNegative", "voice: delay added to a slow start"],
];

const RULE_TEXT: Record<VoiceRule, string> = { nonNegative: "a number >= 0", positive: "a number > 0", fraction: "a number from 0 to 1" };

function satisfies(value: number, rule: VoiceRule): boolean {
  if (!Number.isFinite(value)) return false;
  return rule === "fraction" ? value >= 0 && value <= 1 : rule === "positive" ? value > 0 : value >= 0;
}

/** A numeric setting's default, as the voice agent applies it. */
export function voiceDefaultOf(setting: NumericVoiceSetting): number {
  const d = VOICE_AGENT_DEFAULTS;
  const vad = d.turnDetection as ServerVad;
  if (setting === "vadThreshold") return vad.threshold;
  if (setting === "prefixPaddingMs") return vad.prefixPaddingMs;
  if (setting === "silenceDurationMs") return vad.silenceDurationMs;
  return d[setting];
}

/** Full agent options: defaults under the settings, failure rates and seed from the emulator. */
export function resolveVoiceOptions(
  settings: VoiceEmulatorSettings = {},
  shared: { errorRate: number; disconnectRate: number; seed: number },
): VoiceAgentOptions {
  const { turnDetection, vadThreshold, prefixPaddingMs, silenceDurationMs, ...timing } = settings;
  for (const [flag, setting, rule] of VOICE_FLAGS) {
    const value = settings[setting];
    if (value !== undefined && !satisfies(value, rule)) throw new UsageError(`emulator voice option ${setting} (${flag}) must be ${RULE_TEXT[rule]} (got ${String(value)})`);
  }
  const vad = VOICE_AGENT_DEFAULTS.turnDetection as ServerVad;
  return {
    ...VOICE_AGENT_DEFAULTS,
    ...timing,
    turnDetection:
      turnDetection === "none"
        ? null
        : {
            type: "server_vad",
            threshold: vadThreshold ?? vad.threshold,
            prefixPaddingMs: prefixPaddingMs ?? vad.prefixPaddingMs,
            silenceDurationMs: silenceDurationMs ?? vad.silenceDurationMs,
          },
    errorRate: shared.errorRate,
    dropRate: shared.disconnectRate,
    seed: shared.seed,
  };
}
