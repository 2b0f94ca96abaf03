// One-time warm-up of a voice client inside this process, against a throwaway emulated agent on a
// free loopback port: the transport, the wire codec and the scenarios are compiled by V8 on first
// use, tens of milliseconds that would otherwise land in the first turns' TTFA. No traffic reaches
// the target. Any voice transport can use it with its own throwaway server.
import { Collector } from "../metrics/collector.js";
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
  const collector = new Collector();
  const driver = protocol.create({
    target: new URL(server.url),
    model: "warm-up",
    headers: {},
    timeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    maxConnections: CONCURRENCY,
    includeUsage: false,
    exactTokens: false,
    onConnect: () => undefined,
  });
  try {
    const client = async (id: number): Promise<void> => {
      for (let cycle = id; cycle < CONVERSATIONS; cycle += CONCURRENCY) {
        const trace = collector.begin("warm-up", id, cycle);
        await driver.execute({ type: SCENARIOS[cycle % SCENARIOS.length]!, prompt: "", maxTokens: null }, trace);
        collector.finish(trace);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => client(id)));
  } finally {
    await driver.close();
    await server.close();
  }
}
