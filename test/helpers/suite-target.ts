// The server a protocol's suite talks to: the protocol's own embedded server when it has one
// (session, voice), else the HTTP emulator, both timed by the same emulator options.
import { after, before } from "node:test";
import { resolveRunConfig } from "../../src/config/run-config.js";
import { startEmulator, type EmulatorOptions } from "../../src/emulator/index.js";
import type { ProtocolDefinition } from "../../src/protocols/types.js";

export interface SuiteTarget {
  url: string;
  close(): Promise<void>;
}

export function startSuiteTarget(protocol: ProtocolDefinition, options: EmulatorOptions): Promise<SuiteTarget> {
  if (!protocol.startEmbedded) return startEmulator({ port: 0, ...options });
  const flags: Record<string, string> = {};
  if (options.ttftMs !== undefined) flags.ttft = String(options.ttftMs / 1000);
  if (options.itlMs !== undefined) flags.delay = String(options.itlMs / 1000);
  if (options.length !== undefined) flags.length = String(options.length);
  if (options.seed !== undefined) flags.seed = String(options.seed);
  // A voice agent's "token" is an audio delta: TTFT is its time to first audio, ITL its delta interval.
  if (protocol.requests) Object.assign(flags, voiceTimingFlags(options));
  return protocol.startEmbedded(resolveRunConfig({ protocol: protocol.name, ...flags }, {}));
}

const VOICE_CHUNK_MS = 20;

function voiceTimingFlags(options: EmulatorOptions): Record<string, string> {
  const itlMs = options.itlMs ?? 10;
  return {
    voiceSttMs: "0",
    voiceLlmMs: String(options.ttftMs ?? 20),
    voiceTtsMs: "0",
    voiceChunkMs: String(VOICE_CHUNK_MS),
    voicePace: String(itlMs > 0 ? VOICE_CHUNK_MS / itlMs : 1000),
    voiceAudioMs: String((options.length ?? 20) * VOICE_CHUNK_MS),
  };
}

/** Call inside a describe(); the returned getter gives the running target inside its tests. */
export function suiteTargetFor(protocol: ProtocolDefinition, options: EmulatorOptions): () => SuiteTarget {
  let target: SuiteTarget | undefined;
  before(async () => {
    target = await startSuiteTarget(protocol, options);
  });
  after(async () => {
    await target?.close();
  });
  return () => target!;
}
