// One-time warm-up of the grpc-voice client (src/voice/warm-up.ts) against a throwaway gRPC gateway
// on a free loopback port in this process: first requests do not pay grpc-js, protobuf and scenario
// compilation in their TTFA. No traffic reaches the target.
import { INSTANT_VOICE, warmUpVoiceClient } from "../../voice/warm-up.js";
import type { ProtocolDefinition } from "../types.js";
import { startGrpcGateway } from "./server.js";

let warmed: Promise<void> | null = null;

/** Warm the client once per process; later calls wait for the first. */
export function warmUpGrpcVoice(protocol: ProtocolDefinition): Promise<void> {
  warmed ??= startGrpcGateway({ port: 0, voice: INSTANT_VOICE }).then((gateway) => warmUpVoiceClient(protocol, gateway));
  return warmed;
}
