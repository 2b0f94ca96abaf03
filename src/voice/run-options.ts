// `tokenstorm run` settings of voice protocols (seed 003): scenario weights, audio, turn detection,
// named performance targets, and the embedded voice emulator's timing. Resolved once into
// RunConfig.voice; every problem goes to the run's Problems so it is reported with the rest.
import type { Command } from "commander";
import { readAudioDir } from "../audio/library.js";
import type { Problems } from "../config/values.js";
import { addVoiceEmulatorOptions, voiceSettingsFromFlags, type VoiceEmulatorSettings } from "./options.js";
import { SPEECH_PACINGS, type SpeechPacing } from "./pacing.js";
import { resolveWeights, type ScenarioWeights } from "./plan.js";
import { TARGET_SET_NAMES, targetThresholds } from "./targets.js";

/** Protocols whose requests are turns of a voice conversation. */
export const VOICE_PROTOCOLS: ReadonlySet<string> = new Set(["realtime", "grpc-voice"]);

export interface VoiceRunFlags {
  /** Seed 003's names for --clients and --target. */
  concurrency?: string;
  server?: string;
  simple?: string;
  tools?: string;
  interruptions?: string;
  falseAlarms?: string;
  audioDir?: string;
  targets?: string;
  turnDetection?: string;
  toolLatency?: string;
  speechPacing?: string;
  /** The embedded voice emulator's settings (--voice-*), as commander hands them over. */
  [voiceEmulatorFlag: `voice${string}`]: unknown;
}

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
    .option("--concurrency <n>", "same as --clients")
    .option("--server <url>", "same as --target (e.g. ws://localhost:8000/ws)")
    .option("--simple <w>", "voice: weight of simple queries (default 0.6)")
    .option("--tools <w>", "voice: weight of tool-call queries (default 0.2)")
    .option("--interruptions <w>", "voice: weight of real interruptions (default 0.1)")
    .option("--false-alarms <w>", "voice: weight of false alarms (default 0.1)")
    .option("-a, --audio-dir <dir>", "voice: WAV files (16-bit PCM mono) to speak; default: generated audio")
    .option("--targets <set>", `voice: performance targets for low or high load as thresholds (${TARGET_SET_NAMES.join("|")})`)
    .option("--turn-detection <mode>", "voice: server_vad (the agent detects speech and barge-in) or client (commit and cancel) (default server_vad)")
    .option("--tool-latency <ms>", "voice: the client's simulated tool run time before returning its output (default 0)")
    .option("--speech-pacing <mode>", "voice: burst (each utterance sent at once) or realtime (each 100 ms append when it would have been spoken) (default burst)");
  return addVoiceEmulatorOptions(command);
}

/** Seed 003's --concurrency and --server as --clients and --target; giving both spellings differently is a problem. */
export function withSeed003Names<T extends VoiceRunFlags & { clients?: string; target?: string }>(flags: T, problems: Problems): T {
  const out = { ...flags };
  for (const [alias, name, aliasFlag, flag] of [["concurrency", "clients", "--concurrency", "--clients"], ["server", "target", "--server", "--target"]] as const) {
    const value = flags[alias];
    if (value === undefined) continue;
    if (flags[name] !== undefined && flags[name] !== value) problems.add(`${flag} and ${aliasFlag} are the same setting: give one of them`);
    else out[name] = value;
  }
  return out;
}

const VOICE_ONLY_FLAGS: Array<[key: keyof VoiceRunFlags, flag: string]> = [
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
function misplacedFlags(flags: VoiceRunFlags & { protocol?: string; target?: string }, emulatorFlags: number, problems: Problems): void {
  const protocol = flags.protocol ?? "openai-chat";
  if (!VOICE_PROTOCOLS.has(protocol)) {
    const given = VOICE_ONLY_FLAGS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
    if (emulatorFlags > 0) given.push("--voice-*");
    if (given.length > 0) problems.add(`${given.join(", ")}: for voice protocols (${[...VOICE_PROTOCOLS].join(", ")}), not ${protocol}`);
  } else if (emulatorFlags > 0 && flags.target !== undefined) {
    problems.add("--voice-* flags time the embedded voice emulator; with --target, give them to `tokenstorm emulate`");
  }
}

function isSpeechPacing(value: string): value is SpeechPacing {
  return (SPEECH_PACINGS as readonly string[]).includes(value);
}

export function resolveVoiceRun(flags: VoiceRunFlags & { protocol?: string; target?: string }, problems: Problems): VoiceRunConfig {
  const lines: string[] = [];
  const emulator = voiceSettingsFromFlags(flags as Record<string, unknown>, lines);
  for (const line of lines) problems.add(line);
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
    toolLatencyMs: problems.number(flags.toolLatency, "nonNegative", { flag: "--tool-latency" }) ?? 0,
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
