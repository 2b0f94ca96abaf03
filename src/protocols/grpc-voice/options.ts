// The run flags that belong to grpc-voice: --proto / --service (your own compatible gateway) and
// --grpc-unavailable-rate (failure injection in the embedded gateway), validated with the rest of
// the run's flags so every problem is reported at once.
import type { Command } from "commander";
import { z } from "zod/v3";
import { flagOf, given, helpLine, numberSetting, textSetting, type Settings } from "../../config/settings.js";
import type { Problems } from "../../config/values.js";
import { UsageError } from "../../errors.js";
import { loadVoiceService } from "./proto.js";

export const GRPC_VOICE = "grpc-voice";

/** grpc-voice's own settings (composed in src/config/run-settings.ts; its help lines below). */
export const grpcVoiceSettings = z.object({
  proto: textSetting("--proto", "grpc-voice: your gateway's .proto (default: tokenstorm's proto/voice/v1/voice.proto)"),
  service: textSetting("--service", "grpc-voice: fully qualified service in --proto, e.g. acme.voice.v1.Gateway"),
  grpcUnavailableRate: numberSetting("--grpc-unavailable-rate", "fraction", "grpc-voice: fraction of calls the embedded gateway refuses with UNAVAILABLE", 0),
});


export interface GrpcVoiceOptions {
  /** A user's .proto file; null: ours (proto/voice/v1/voice.proto). */
  protoPath: string | null;
  /** Fully qualified service name; null: tokenstorm.voice.v1.VoiceGateway. */
  service: string | null;
  /** Embedded gateway: fraction of calls refused with UNAVAILABLE. */
  unavailableRate: number;
}

export function addGrpcVoiceOptions(command: Command): Command {
  return command
    .option("--proto <file>", helpLine(grpcVoiceSettings, "proto"))
    .option("--service <name>", helpLine(grpcVoiceSettings, "service"))
    .option("--grpc-unavailable-rate <fraction>", helpLine(grpcVoiceSettings, "grpcUnavailableRate"));
}

export function resolveGrpcVoice(flags: Settings<typeof grpcVoiceSettings>, protocol: string, hasTarget: boolean, problems: Problems): GrpcVoiceOptions {
  const options: GrpcVoiceOptions = { protoPath: flags.proto ?? null, service: flags.service ?? null, unavailableRate: 0 };
  if (protocol !== GRPC_VOICE) {
    for (const key of ["proto", "service", "grpcUnavailableRate"] as const) {
      if (given(flags, key)) problems.add(`${flagOf(grpcVoiceSettings, key)} applies to --protocol ${GRPC_VOICE} only`);
    }
    return options;
  }
  if (given(flags, "grpcUnavailableRate")) {
    if (hasTarget) problems.add("--grpc-unavailable-rate sets the embedded gateway's failures and does not apply with --target");
    options.unavailableRate = flags.grpcUnavailableRate ?? 0;
  }
  if (options.protoPath !== null || options.service !== null) {
    if (!hasTarget) problems.add("--proto / --service describe your gateway and need --target (the embedded gateway speaks tokenstorm's proto)");
    try {
      loadVoiceService({ ...(options.protoPath !== null ? { protoPath: options.protoPath } : {}), ...(options.service !== null ? { service: options.service } : {}) });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.add(err.message);
    }
  }
  return options;
}
