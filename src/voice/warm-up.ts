// One-time warm-up of a voice client inside this process, against a throwaway emulated agent on a
// free loopback port: the transport, the wire codec and the scenarios are compiled by V8 on first
// use, tens of milliseconds that would otherwise land in the first turns' TTFA. No traffic reaches
// the target. Any voice transport can use it with its own throwaway server.
import { exerciseDriver } from "../protocols/exercise.js";
import type { ProtocolDefinition } from "../protocols/types.js";
import { SCENARIOS } from "./plan.js";
import type { VoiceAgentOptions } from "./types.js";

const CONVERSATIONS = 16;
const CONCURRENCY = 4;

/** Answers of a few chunks, as fast as the wheel allows, long enough to be interrupted. */
export const INSTANT_VOICE: Omit<VoiceAgentOptions, "turnDetection"> = {
  sttMs: 0,
  llmFirstTokenMs: 0,
  ttsFirstAudioMs: 0,
  responseAudioMs: 2000,
  chunkMs: 20,
  pace: 20,
  outputSampleRate: 24000,
  minInterruptionMs: 500,
  errorRate: 0,
  dropRate: 0,
  slowStartRate: 0,
  slowStartMs: 0,
  toolCallMs: 0,
  seed: 1,
};

export async function warmUpVoiceClient(protocol: ProtocolDefinition, server: { url: string; close(): Promise<void> }): Promise<void> {
  try {
    await exerciseDriver(protocol, server.url, {
      requests: CONVERSATIONS,
      concurrency: CONCURRENCY,
      includeUsage: false,
      exactTokens: false,
      request: (cycle) => ({ type: SCENARIOS[cycle % SCENARIOS.length]!, prompt: "", maxTokens: null }),
    });
  } finally {
    await server.close();
  }
}
