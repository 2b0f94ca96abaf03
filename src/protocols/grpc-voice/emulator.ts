// The emulated gRPC voice gateway `tokenstorm run --protocol grpc-voice` starts when there is no
// --target: the embedded emulator on its worker thread with its gRPC gateway (`grpcPort`), so the
// gateway's timing wheel and the client's measurements do not share an event loop. Its agents are
// timed by the run's --voice-* flags exactly as the realtime emulator's.
import type { RunConfig } from "../../config/run-config.js";
import { startEmulatorThread } from "../../emulator/worker.js";
import { VOICE_AGENT_DEFAULTS } from "../../voice/host.js";
import type { EmbeddedTarget } from "../types.js";

export async function startEmbeddedGateway(config: RunConfig): Promise<EmbeddedTarget> {
  const unavailableRate = config.grpcVoice.unavailableRate;
  const emulator = await startEmulatorThread({
    host: "127.0.0.1",
    port: 0,
    grpcPort: 0,
    grpcUnavailableRate: unavailableRate,
    // Its warm-up exercises the HTTP endpoints, which no grpc-voice request touches.
    warmUp: false,
    voice: config.voice.emulator,
    ...(config.seed !== null ? { seed: config.seed } : {}),
  });
  const voice = { ...VOICE_AGENT_DEFAULTS, ...config.voice.emulator };
  const refusals = unavailableRate > 0 ? `, ${unavailableRate * 100}% of calls refused UNAVAILABLE` : "";
  return {
    url: emulator.grpcUrl!,
    description: `embedded voice gateway (gRPC) on ${emulator.grpcUrl} (TTFA ${voice.sttMs + voice.llmFirstTokenMs + voice.ttsFirstAudioMs} ms, ${voice.responseAudioMs} ms answers, pace ${voice.pace}x${refusals})`,
    close: () => emulator.close(),
  };
}
