// One-time warm-up of the grpc-voice client inside this process, against a throwaway gateway on a
// free loopback port: grpc-js, protobuf encoding and the voice scenarios are compiled by V8 on first
// use, tens of milliseconds that would otherwise land in the first requests' TTFA. No traffic
// reaches the target.
import { Collector } from "../../metrics/collector.js";
import type { ProtocolDefinition } from "../types.js";
import { startGrpcGateway } from "./server.js";

const CONVERSATIONS = 16;
const CONCURRENCY = 4;
/** Answers of a few chunks, delivered as fast as the wheel allows. */
const INSTANT_VOICE = { sttMs: 0, llmFirstTokenMs: 0, ttsFirstAudioMs: 0, responseAudioMs: 60, chunkMs: 20, pace: 100, toolCallMs: 0, seed: 1 };

let warmed: Promise<void> | null = null;

async function warmUpOnce(protocol: ProtocolDefinition): Promise<void> {
  const gateway = await startGrpcGateway({ port: 0, voice: INSTANT_VOICE });
  const collector = new Collector();
  const driver = protocol.create({
    target: new URL(gateway.url),
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
        await driver.execute({ type: cycle % 2 === 0 ? "simple_query" : "tool_call", prompt: "", maxTokens: null }, trace);
        collector.finish(trace);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => client(id)));
  } finally {
    await driver.close();
    await gateway.close();
  }
}

/** Warm the client once per process; later calls wait for the first. */
export function warmUpGrpcVoice(protocol: ProtocolDefinition): Promise<void> {
  warmed ??= warmUpOnce(protocol);
  return warmed;
}
