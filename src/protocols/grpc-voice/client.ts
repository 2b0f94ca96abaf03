// The client side of grpc-voice: a dialer that opens one Converse call per conversation on a channel
// of its own, and the protocol definition that runs the shared voice scenarios (src/voice/) over it.
// Channels are never shared between conversations in flight (each has a local subchannel pool, so
// grpc-js does not fold them onto one HTTP/2 connection); a finished conversation's channel is kept
// for the next one briefly, as a user's client keeps its channel between queries.
import type * as grpc from "@grpc/grpc-js";
import { nowMs } from "../../clock.js";
import type { RunConfig } from "../../config/run-config.js";
import { ErrorClass, RequestFailure } from "../../errors.js";
import { voiceDriverSettings, voiceProtocol, type VoiceDriverSettings } from "../../voice/protocol.js";
import type { VoiceDialer } from "../../voice/types.js";
import type { ClientTls } from "../tls.js";
import type { DriverOptions, ProtocolDefinition } from "../types.js";
import { GrpcVoiceConnection } from "./connection.js";
import { startEmbeddedGateway } from "./emulator.js";
import { grpcJs } from "./grpc-modules.js";
import { GRPC_VOICE } from "./options.js";
import { loadVoiceService, type LoadedVoiceService, type VoiceServiceSource } from "./proto.js";
import { classifyGrpcError, grpcStatusName } from "./status.js";
import { grpcAddress } from "./target.js";
import { warmUpGrpcVoice } from "./warm-up.js";
import { WIRE_SAMPLE_RATE, type WireEvent } from "./wire.js";

/** A finished conversation's channel waits this long for the next one before it is closed, ms. */
const CHANNEL_IDLE_MS = 5000;

/** Channels of one driver: taken by a conversation, given back when it ends well, closed when idle. */
class ChannelPool {
  private readonly idle: Array<{ client: grpc.Client; timer: NodeJS.Timeout }> = [];

  constructor(private readonly open: () => grpc.Client) {}

  take(): grpc.Client {
    const reused = this.idle.pop();
    if (!reused) return this.open();
    clearTimeout(reused.timer);
    return reused.client;
  }

  /** A channel whose call failed may be broken (refused, reset): the next conversation gets a fresh one. */
  give(client: grpc.Client, healthy: boolean): void {
    if (!healthy) return client.close();
    const entry = {
      client,
      timer: setTimeout(() => {
        this.idle.splice(this.idle.indexOf(entry), 1);
        client.close();
      }, CHANNEL_IDLE_MS).unref(),
    };
    this.idle.push(entry);
  }
}

function serviceSource(config: RunConfig): VoiceServiceSource {
  const grpcVoice = config.grpcVoice;
  return {
    ...(grpcVoice.protoPath ? { protoPath: grpcVoice.protoPath } : {}),
    ...(grpcVoice.service ? { service: grpcVoice.service } : {}),
  };
}

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new (grpcJs().Metadata)();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
}

/** grpcs:// credentials from the run's TLS settings: --cacert, --cert / --key, --insecure. */
function sslCredentials(grpc: ReturnType<typeof grpcJs>, tls: ClientTls | undefined): grpc.ChannelCredentials {
  const pem = (text: string | undefined): Buffer | null => (text === undefined ? null : Buffer.from(text));
  return grpc.credentials.createSsl(pem(tls?.ca), pem(tls?.key), pem(tls?.cert), tls?.insecure ? { rejectUnauthorized: false } : {});
}

/**
 * Opens conversations: a Converse call with the run's --timeout as its deadline. The dial resolves
 * when the gateway answers the call (its response headers), so `connectMs` is the call's set-up
 * time, including the channel's TCP and HTTP/2 handshakes when the channel is new; a call the
 * gateway ends before answering (UNAVAILABLE, refused) rejects with its classified status.
 */
export function grpcVoiceDialer(options: DriverOptions, service: LoadedVoiceService): VoiceDialer {
  const grpc = grpcJs();
  const credentials = options.target.protocol === "grpcs:" ? sslCredentials(grpc, options.tls) : grpc.credentials.createInsecure();
  const address = grpcAddress(options.target);
  const channels = new ChannelPool(() => new service.Client(address, credentials, { "grpc.use_local_subchannel_pool": 1 }));
  const metadata = metadataOf(options.headers);
  return {
    dial: (signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new RequestFailure(ErrorClass.cancelled, "the run was stopped while connecting"));
        const startedAt = nowMs();
        const client = channels.take();
        const method = (client as unknown as Record<string, (m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientDuplexStream<WireEvent, WireEvent>>)[service.methodName]!;
        const call = method.call(client, metadata.clone(), { deadline: Date.now() + options.timeoutMs });
        let answered = false;
        const connection = new GrpcVoiceConnection(call, (ok) => channels.give(client, ok));
        // Stopping the run cancels a call the gateway has not answered yet; its CANCELLED status rejects the dial.
        const onAbort = (): void => call.cancel();
        signal?.addEventListener("abort", onAbort, { once: true });
        call.once("metadata", () => {
          answered = true;
          signal?.removeEventListener("abort", onAbort);
          resolve({ connection, connectMs: nowMs() - startedAt });
        });
        call.on("status", (status: grpc.StatusObject) => {
          signal?.removeEventListener("abort", onAbort);
          if (answered) return;
          if (signal?.aborted) reject(new RequestFailure(ErrorClass.cancelled, "the run was stopped while connecting"));
          else reject(new RequestFailure(classifyGrpcError(status, false), `${grpcStatusName(status.code)}: ${status.details}`));
        });
      }),
  };
}

/** The gRPC voice gateway protocol; the .proto in force is the run's (--proto / --service) or ours. */
function grpcVoiceFor(source: VoiceServiceSource): ReturnType<typeof voiceProtocol> {
  return voiceProtocol({
    name: GRPC_VOICE,
    description: "voice gateway over gRPC bidirectional streaming: proto/voice/v1/voice.proto, events mirroring realtime, raw PCM16 16 kHz (seed 002)",
    inputSampleRate: WIRE_SAMPLE_RATE,
    sessionPerRequest: true,
    dialer: (options) => grpcVoiceDialer(options, loadVoiceService(source)),
    startEmbedded: startEmbeddedGateway,
    warmUp: () => warmUpGrpcVoice(ourProto),
  });
}

const ourProto = grpcVoiceFor({});

/** A grpc-voice driver's settings: a voice driver's, and the .proto in force (--proto / --service). */
export interface GrpcVoiceDriverSettings extends VoiceDriverSettings {
  service: VoiceServiceSource;
}

export const grpcVoice: ProtocolDefinition<GrpcVoiceDriverSettings> = {
  ...ourProto,
  settingsOf: (config) => ({ ...voiceDriverSettings(config), service: serviceSource(config) }),
  create: (options, settings) => {
    const custom = settings !== undefined && (settings.service.protoPath !== undefined || settings.service.service !== undefined);
    return (custom ? grpcVoiceFor(settings.service) : ourProto).create(options, settings);
  },
};
