// Where the emulated gRPC voice gateway comes from: `tokenstorm emulate --grpc-port P` beside the HTTP
// emulator, and `tokenstorm run --protocol grpc-voice` with no --target. Both resolve the same voice
// agent options as the realtime emulator (--voice-* flags, error / disconnect rates, seed).
import type { RunConfig } from "../../config/run-config.js";
import { type EmulatorOptions, resolveOptions } from "../../emulator/options.js";
import { UsageError } from "../../errors.js";
import type { EmbeddedTarget } from "../types.js";
import { startGrpcGateway, type RunningGrpcGateway } from "./server.js";

/** The gateway `emulate` starts when --grpc-port is given (null without it). */
export async function startGatewayBeside(options: EmulatorOptions): Promise<RunningGrpcGateway | null> {
  if (options.grpcPort === undefined) {
    if (options.grpcUnavailableRate !== undefined) throw new UsageError("--grpc-unavailable-rate needs --grpc-port");
    return null;
  }
  const resolved = resolveOptions(options);
  return startGrpcGateway({ host: resolved.host, port: options.grpcPort, voice: resolved.voice, unavailableRate: options.grpcUnavailableRate ?? 0 });
}

/** `run`'s embedded gateway on a free loopback port, with the run's seed and failure injection. */
export async function startEmbeddedGateway(config: RunConfig): Promise<EmbeddedTarget> {
  // --voice-* flags time the embedded gateway's agents exactly as they time the realtime emulator's.
  const resolved = resolveOptions({ voice: config.voice.emulator, ...(config.seed !== null ? { seed: config.seed } : {}) });
  const unavailableRate = config.grpcVoice.unavailableRate;
  const gateway = await startGrpcGateway({ host: "127.0.0.1", port: 0, voice: resolved.voice, unavailableRate });
  const v = resolved.voice;
  const refusals = unavailableRate > 0 ? `, ${unavailableRate * 100}% of calls refused UNAVAILABLE` : "";
  return {
    url: gateway.url,
    description: `embedded voice gateway (gRPC) on ${gateway.url} (TTFA ${v.sttMs + v.llmFirstTokenMs + v.ttsFirstAudioMs} ms, answers ${v.responseAudioMs} ms of audio${refusals})`,
    close: () => gateway.close(),
  };
}
