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

function audioFor(config: RunConfig | undefined, rate: number): AudioLibrary {
  const dir = config?.voice.audioDir ?? null;
  if (dir === null) return generatedAudio(rate);
  const library = loadAudioDir(dir, rate);
  if (!config?.quiet) for (const note of library.notes) process.stderr.write(`tokenstorm: note: ${note}\n`);
  return library;
}

export function voiceProtocol(transport: VoiceTransport): ProtocolDefinition {
  return {
    name: transport.name,
    description: transport.description,
    create: (options, config) =>
      new VoiceDriver(transport.dialer(options), options, {
        audio: audioFor(config, transport.inputSampleRate),
        serverVad: (config?.voice.turnDetection ?? "server_vad") === "server_vad",
        toolLatencyMs: config?.voice.toolLatencyMs ?? 0,
        speechPacing: config?.voice.speechPacing ?? "burst",
        seed: config?.seed ?? 1,
        requestsPerSession: transport.sessionPerRequest ? 1 : config ? requestsPerSession(config) : null,
      }),
    requests: (config) => {
      const planner = scenarioPlanner(config.voice.weights ?? DEFAULT_WEIGHTS, config.seed ?? 1, config.clients, cyclesOf(config));
      return (client, cycle): RequestSpec => ({ type: planner.scenarioFor(client, cycle), prompt: "", maxTokens: null });
    },
    startEmbedded: (config) => transport.startEmbedded(config),
    ...(transport.warmUp ? { warmUp: transport.warmUp } : {}),
  };
}
