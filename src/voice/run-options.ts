// `tokenstorm run` settings of voice protocols (seed 003): scenario weights, audio, turn detection,
// named performance targets, and the embedded voice emulator's timing. Resolved once into
// RunConfig.voice; every problem goes to the run's Problems so it is reported with the rest.
import type { Command } from "commander";
import { readAudioDir } from "../audio/library.js";
import { z } from "zod/v3";
import { given as isGiven, helpLine, numberSetting, textSetting, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import type { VoiceEmulatorSettings } from "./options.js";
import { addVoiceEmulatorOptions, voiceSettingsOf, type voiceEmulatorSettings } from "./settings.js";
import { SPEECH_PACINGS, type SpeechPacing } from "./pacing.js";
import { resolveWeights, type ScenarioWeights } from "./plan.js";
import { TARGET_SET_NAMES, targetThresholds } from "./targets.js";

/** Protocols whose requests are turns of a voice conversation. */
export const VOICE_PROTOCOLS: ReadonlySet<string> = new Set(["realtime", "grpc-voice"]);

/**
 * The voice protocols' run settings (composed in src/config/run-settings.ts, beside the embedded
 * voice emulator's --voice-* settings, ./settings.ts).
 */
export const voiceRunSettings = z.object({
  concurrency: numberSetting("--concurrency", "positiveInt", "same as --clients"),
  server: textSetting("--server", "same as --target (e.g. ws://localhost:8000/ws)"),
  simple: numberSetting("--simple", "fraction", "voice: weight of simple queries", 0.6),
  tools: numberSetting("--tools", "fraction", "voice: weight of tool-call queries", 0.2),
  interruptions: numberSetting("--interruptions", "fraction", "voice: weight of real interruptions", 0.1),
  falseAlarms: numberSetting("--false-alarms", "fraction", "voice: weight of false alarms", 0.1),
  audioDir: textSetting("--audio-dir", "voice: WAV files (16-bit PCM mono) to speak; default: generated audio"),
  targets: textSetting("--targets", `voice: performance targets for low or high load as thresholds (${TARGET_SET_NAMES.join("|")})`),
  turnDetection: textSetting("--turn-detection", "voice: server_vad (the agent detects speech and barge-in) or client (commit and cancel)", "server_vad"),
  toolLatency: numberSetting("--tool-latency", "nonNegative", "voice: the client's simulated tool run time before returning its output, ms", 0),
  speechPacing: textSetting("--speech-pacing", "voice: burst (each utterance sent at once) or realtime (each 100 ms append when it would have been spoken)", "burst"),
});

export type VoiceRunFlags = z.input<typeof voiceRunSettings>;

export interface VoiceRunConfig {
  weights: ScenarioWeights;
  audioDir: string | null;
  /** Named seed-003 target set (--targets), already added to the run's thresholds. */
  targets: string | null;
  /** server_vad: the agent detects speech (barge-in); client: the client commits and cancels. */
  turnDetection: "server_vad" | "client";
  /** The client's simulated tool run time before it returns a function call's output, ms. */
  toolLatencyMs: number;
  /** burst: each utterance sent at once (seed 003); realtime: each append when its audio would have been spoken. */
  speechPacing: SpeechPacing;
  /** For the embedded voice emulator. */
  emulator: VoiceEmulatorSettings;
}

export function addVoiceRunOptions(command: Command): Command {
  command
    .option("--concurrency <n>", helpLine(voiceRunSettings, "concurrency"))
    .option("--server <url>", helpLine(voiceRunSettings, "server"))
    .option("--simple <w>", helpLine(voiceRunSettings, "simple"))
    .option("--tools <w>", helpLine(voiceRunSettings, "tools"))
    .option("--interruptions <w>", helpLine(voiceRunSettings, "interruptions"))
    .option("--false-alarms <w>", helpLine(voiceRunSettings, "falseAlarms"))
    .option("-a, --audio-dir <dir>", helpLine(voiceRunSettings, "audioDir"))
    .option("--targets <set>", helpLine(voiceRunSettings, "targets"))
    .option("--turn-detection <mode>", helpLine(voiceRunSettings, "turnDetection"))
    .option("--tool-latency <ms>", helpLine(voiceRunSettings, "toolLatency"))
    .option("--speech-pacing <mode>", helpLine(voiceRunSettings, "speechPacing"));
  return addVoiceEmulatorOptions(command);
}

/** Seed 003's --concurrency and --server as --clients and --target; giving both spellings differently is a problem. */
export function withSeed003Names<T extends VoiceRunFlags & { clients?: string | number; target?: string }>(flags: T, problems: Problems): T {
  const out = { ...flags };
  for (const [alias, name, aliasFlag, flag] of [["concurrency", "clients", "--concurrency", "--clients"], ["server", "target", "--server", "--target"]] as const) {
    const value = flags[alias];
    if (value === undefined) continue;
    if (flags[name] !== undefined && String(flags[name]) !== String(value)) problems.add(`${flag} and ${aliasFlag} are the same setting: give one of them`);
    else (out as Record<string, unknown>)[name] = value;
  }
  return out;
}

const VOICE_ONLY_FLAGS: Array<[key: keyof VoiceSettings & string, flag: string]> = [
  ["simple", "--simple"],
  ["tools", "--tools"],
  ["interruptions", "--interruptions"],
  ["falseAlarms", "--false-alarms"],
  ["audioDir", "--audio-dir"],
  ["targets", "--targets"],
  ["turnDetection", "--turn-detection"],
  ["toolLatency", "--tool-latency"],
  ["speechPacing", "--speech-pacing"],
];

/** Flags that would be silently ignored are problems: voice flags off voice protocols, emulator timing with a target. */
function misplacedFlags(flags: VoiceSettings & { protocol?: string | undefined; target?: string | undefined }, emulatorFlags: number, problems: Problems): void {
  const protocol = flags.protocol ?? "openai-chat";
  if (!VOICE_PROTOCOLS.has(protocol)) {
    const given = VOICE_ONLY_FLAGS.filter(([key]) => isGiven(flags, key)).map(([, flag]) => flag);
    if (emulatorFlags > 0) given.push("--voice-*");
    if (given.length > 0) problems.add(`${given.join(", ")}: for voice protocols (${[...VOICE_PROTOCOLS].join(", ")}), not ${protocol}`);
  } else if (emulatorFlags > 0 && flags.target !== undefined) {
    problems.add("--voice-* flags time the embedded voice emulator; with --target, give them to `tokenstorm emulate`");
  }
}

function isSpeechPacing(value: string): value is SpeechPacing {
  return (SPEECH_PACINGS as readonly string[]).includes(value);
}

type VoiceSettings = Settings<typeof voiceRunSettings> & Settings<typeof voiceEmulatorSettings>;

/** `flags`: the run's parsed settings, the embedded voice emulator's (--voice-*) among them. */
export function resolveVoiceRun(flags: VoiceSettings & { protocol?: string | undefined; target?: string | undefined }, problems: Problems): VoiceRunConfig {
  // The run's schema has parsed the --voice-* settings already.
  const emulator = voiceSettingsOf(flags, problems);
  misplacedFlags(flags, Object.keys(emulator).length, problems);
  const turnDetection = flags.turnDetection ?? "server_vad";
  if (turnDetection !== "server_vad" && turnDetection !== "client") problems.add(`--turn-detection must be server_vad or client (got "${turnDetection}")`);
  const speechPacing = flags.speechPacing ?? "burst";
  if (!isSpeechPacing(speechPacing)) problems.add(`--speech-pacing must be ${SPEECH_PACINGS.join(" or ")} (got "${speechPacing}")`);
  if (flags.targets !== undefined && !TARGET_SET_NAMES.includes(flags.targets)) {
    problems.add(`--targets: unknown target set "${flags.targets}" (known: ${TARGET_SET_NAMES.join(", ")})`);
  }
  if (flags.audioDir !== undefined) {
    try {
      readAudioDir(flags.audioDir);
    } catch (err) {
      problems.add((err as Error).message);
    }
  }
  return {
    weights: resolveWeights(flags, problems),
    audioDir: flags.audioDir ?? null,
    targets: flags.targets ?? null,
    turnDetection: turnDetection === "client" ? "client" : "server_vad",
    toolLatencyMs: flags.toolLatency ?? 0,
    speechPacing: isSpeechPacing(speechPacing) ? speechPacing : "burst",
    emulator,
  };
}

interface SessionShape {
  protocol: string;
  clients: number;
  cycles: number | null;
  requests: number | null;
  thresholds: string[];
  voice: VoiceRunConfig;
}

/**
 * Seed 003 counts `--requests` per client session (10 clients x 5 requests = 50 turns). For voice
 * protocols on the plain closed model without --cycles, --requests N therefore means N turns per
 * session: every client holds one connection for N cycles. The named targets join the thresholds.
 */
export function applyVoiceRun(config: SessionShape, explicitCycles: boolean, closedModel: boolean): void {
  if (config.voice.targets !== null && TARGET_SET_NAMES.includes(config.voice.targets)) config.thresholds.push(...targetThresholds(config.voice.targets));
  if (!VOICE_PROTOCOLS.has(config.protocol) || !closedModel || explicitCycles || config.requests === null) return;
  config.cycles = config.requests;
  config.requests = config.clients * config.requests;
}
