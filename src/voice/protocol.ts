// A voice transport becomes a ProtocolDefinition here: the shared VoiceDriver and scenarios over the
// transport's dialer, the seeded scenario mix as the run's requests, and the audio the run speaks.
import type { RunConfig } from "../config/run-config.js";
import { generatedAudio, loadAudioDir, type AudioLibrary } from "../audio/library.js";
import type { DriverOptions, EmbeddedTarget, ProtocolDefinition, RequestSpec } from "../protocols/types.js";
import { VoiceDriver } from "./driver.js";
import { DEFAULT_WEIGHTS, scenarioPlanner } from "./plan.js";
import type { VoiceDialer } from "./types.js";

export interface VoiceTransport {
  name: string;
  description: string;
  /** The rate the transport's client sends audio at, Hz. */
  inputSampleRate: number;
  /** One conversation per request (grpc-voice: a Converse call each, with the request's deadline) instead of one per client. */
  sessionPerRequest?: boolean;
  dialer(options: DriverOptions): VoiceDialer;
  startEmbedded(config: RunConfig): Promise<EmbeddedTarget>;
  warmUp?(): Promise<void>;
}

/** The closed model with a known number of cycles is the one whose requests per session are known. */
function cyclesOf(config: RunConfig): number | null {
  return config.pattern === null && config.stages === null ? config.cycles : null;
}

/** Open-model arrivals are conversations of their own; closed-model clients keep theirs for every cycle. */
function requestsPerSession(config: RunConfig): number | null {
  return config.pattern !== null ? 1 : cyclesOf(config);
}

/** What a voice driver takes from the run: the voice settings and how requests map to sessions. */
export interface VoiceDriverSettings {
  audioDir: string | null;
  /** Notes about the audio files are not printed. */
  quiet: boolean;
  turnDetection: RunConfig["voice"]["turnDetection"];
  toolLatencyMs: number;
  speechPacing: RunConfig["voice"]["speechPacing"];
  seed: number | null;
  /** Requests (turns) each client's session carries; null: unknown in advance. */
  requestsPerSession: number | null;
}

export function voiceDriverSettings(config: RunConfig): VoiceDriverSettings {
  return {
    audioDir: config.voice.audioDir ?? null,
    quiet: config.quiet,
    turnDetection: config.voice.turnDetection,
    toolLatencyMs: config.voice.toolLatencyMs,
    speechPacing: config.voice.speechPacing,
    seed: config.seed,
    requestsPerSession: requestsPerSession(config),
  };
}

function audioFor(settings: VoiceDriverSettings | undefined, rate: number): AudioLibrary {
  const dir = settings?.audioDir ?? null;
  if (dir === null) return generatedAudio(rate);
  const library = loadAudioDir(dir, rate);
  if (!settings?.quiet) for (const note of library.notes) process.stderr.write(`tokenstorm: note: ${note}\n`);
  return library;
}

export function voiceProtocol(transport: VoiceTransport): ProtocolDefinition<VoiceDriverSettings> {
  return {
    name: transport.name,
    description: transport.description,
    settingsOf: voiceDriverSettings,
    create: (options, settings) =>
      new VoiceDriver(transport.dialer(options), options, {
        audio: audioFor(settings, transport.inputSampleRate),
        serverVad: (settings?.turnDetection ?? "server_vad") === "server_vad",
        toolLatencyMs: settings?.toolLatencyMs ?? 0,
        speechPacing: settings?.speechPacing ?? "burst",
        seed: settings?.seed ?? 1,
        requestsPerSession: transport.sessionPerRequest ? 1 : settings ? settings.requestsPerSession : null,
      }),
    requests: (config) => {
      const planner = scenarioPlanner(config.voice.weights ?? DEFAULT_WEIGHTS, config.seed ?? 1, config.clients, cyclesOf(config));
      return (client, cycle): RequestSpec => ({ type: planner.scenarioFor(client, cycle), prompt: "", maxTokens: null });
    },
    startEmbedded: (config) => transport.startEmbedded(config),
    ...(transport.warmUp ? { warmUp: transport.warmUp } : {}),
  };
}
