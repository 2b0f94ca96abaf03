// The voice emulator's settings as a zod schema (--voice-* flags of `tokenstorm emulate` and of
// `tokenstorm run` for its embedded voice emulator), built from ./options.ts's table of flags, rules
// and defaults so that startEmulator's zod-free checks and these flags cannot disagree.
import type { Command } from "commander";
import { z } from "zod/v3";
import { attributeOfFlag, helpLine, numberSetting, parseSettings, textSetting, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { VOICE_FLAGS, voiceDefaultOf, type VoiceEmulatorSettings } from "./options.js";

/** A --voice-* number: its rule, help and default from the table in ./options.ts. */
function voiceNumber(flag: string) {
  const [, setting, rule, help] = VOICE_FLAGS.find(([name]) => name === flag)!;
  return numberSetting(flag, rule, help, voiceDefaultOf(setting));
}

export const voiceEmulatorSettings = z.object({
  voiceSttMs: voiceNumber("--voice-stt-ms"),
  voiceLlmMs: voiceNumber("--voice-llm-ms"),
  voiceTtsMs: voiceNumber("--voice-tts-ms"),
  voiceAudioMs: voiceNumber("--voice-audio-ms"),
  voiceChunkMs: voiceNumber("--voice-chunk-ms"),
  voicePace: voiceNumber("--voice-pace"),
  voiceMinInterruptionMs: voiceNumber("--voice-min-interruption-ms"),
  voiceVadThreshold: voiceNumber("--voice-vad-threshold"),
  voicePrefixPaddingMs: voiceNumber("--voice-prefix-padding-ms"),
  voiceSilenceMs: voiceNumber("--voice-silence-ms"),
  voiceToolMs: voiceNumber("--voice-tool-ms"),
  voiceSlowStartRate: voiceNumber("--voice-slow-start-rate"),
  voiceSlowStartMs: voiceNumber("--voice-slow-start-ms"),
  voiceTurnDetection: textSetting("--voice-turn-detection", "voice: server_vad, or none for client commits", "server_vad"),
});

/** Register the voice flags on a command (emulate, run). */
export function addVoiceEmulatorOptions(command: Command): Command {
  for (const [flag] of VOICE_FLAGS) command.option(`${flag} <n>`, helpLine(voiceEmulatorSettings, attributeOfFlag(flag) as keyof typeof voiceEmulatorSettings.shape));
  return command.option("--voice-turn-detection <mode>", helpLine(voiceEmulatorSettings, "voiceTurnDetection"));
}

/** Voice settings from the flags as given (text, or numbers from the API); each bad value is added to `problems`. */
export function voiceSettingsFromFlags(flags: object, problems: Problems): VoiceEmulatorSettings {
  return voiceSettingsOf(parseSettings(voiceEmulatorSettings, flags, problems), problems);
}

/** Voice settings from parsed --voice-* settings (the run's, or voiceSettingsFromFlags'). */
export function voiceSettingsOf(parsed: Settings<typeof voiceEmulatorSettings>, problems: Problems): VoiceEmulatorSettings {
  const given = parsed as Record<string, unknown>;
  const settings: VoiceEmulatorSettings = {};
  for (const [flag, setting] of VOICE_FLAGS) {
    const value = given[attributeOfFlag(flag)];
    if (typeof value === "number") settings[setting] = value;
  }
  const mode = parsed.voiceTurnDetection;
  if (mode === "server_vad" || mode === "none") settings.turnDetection = mode;
  else if (mode !== undefined) problems.add(`--voice-turn-detection must be server_vad or none (got "${mode}")`);
  return settings;
}
