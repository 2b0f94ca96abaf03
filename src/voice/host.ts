// What every emulated voice agent of one emulator shares: its timing options, the emulator's timing
// wheel, the seeded failure draws, the counters /stats reports, and the audio the agents speak.
// A transport (realtime WebSocket, grpc-voice) creates one agent per connection through it.
import { samplesFor } from "../audio/pcm.js";
import type { TimingWheel } from "../emulator/timing-wheel.js";
import { mulberry32 } from "../random.js";
import type { ResponseStatus, VoiceAgentOptions, VoiceAgentStats } from "./types.js";

/** Loudness of the agent's voice (a soft 220 Hz tone), as a fraction of full scale. */
const VOICE_LEVEL = 0.2;
const VOICE_HZ = 220;

export const VOICE_AGENT_DEFAULTS: Omit<VoiceAgentOptions, "seed"> = {
  sttMs: 100,
  llmFirstTokenMs: 200,
  ttsFirstAudioMs: 100,
  responseAudioMs: 1500,
  chunkMs: 40,
  pace: 1,
  outputSampleRate: 24000,
  minInterruptionMs: 500,
  turnDetection: { type: "server_vad", threshold: 0.02, prefixPaddingMs: 300, silenceDurationMs: 500 },
  errorRate: 0,
  dropRate: 0,
  slowStartRate: 0,
  slowStartMs: 2000,
  toolCallMs: 300,
};

export class VoiceStatsCounter implements VoiceAgentStats {
  sessions = 0;
  activeSessions = 0;
  responses: Record<ResponseStatus, number> = { completed: 0, cancelled: 0, failed: 0 };
  interruptions = 0;
  falseAlarms = 0;
  toolCalls = 0;
  drops = 0;

  reset(): void {
    this.sessions = 0;
    this.responses = { completed: 0, cancelled: 0, failed: 0 };
    this.interruptions = 0;
    this.falseAlarms = 0;
    this.toolCalls = 0;
    this.drops = 0;
  }

  snapshot(): VoiceAgentStats & { activeSessions: number } {
    return {
      sessions: this.sessions,
      activeSessions: this.activeSessions,
      responses: { ...this.responses },
      interruptions: this.interruptions,
      falseAlarms: this.falseAlarms,
      toolCalls: this.toolCalls,
      drops: this.drops,
    };
  }
}

export class VoiceHost {
  readonly stats = new VoiceStatsCounter();
  /** Failure draws in session order, replayable with the seed. */
  readonly random: () => number;
  /** One chunk of the agent's voice, shared by every agent (transports may cache its encoding). */
  readonly voiceChunk: Int16Array;
  private nextId = 0;

  constructor(
    readonly options: VoiceAgentOptions,
    readonly wheel: TimingWheel,
  ) {
    this.random = mulberry32(options.seed);
    this.voiceChunk = toneChunk(samplesFor(options.chunkMs, options.outputSampleRate), options.outputSampleRate);
  }

  /** Ids unique within this emulator, e.g. `resp_12`. */
  id(prefix: string): string {
    return `${prefix}_${++this.nextId}`;
  }
}

/** A whole number of tone periods fits a chunk closely enough that consecutive chunks barely click. */
function toneChunk(samples: number, rate: number): Int16Array {
  const chunk = new Int16Array(samples);
  const amplitude = VOICE_LEVEL * 32767;
  for (let i = 0; i < samples; i++) chunk[i] = Math.round(amplitude * Math.sin((2 * Math.PI * VOICE_HZ * i) / rate));
  return chunk;
}
