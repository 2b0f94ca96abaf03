// The run flags that belong to grpc-voice: --proto / --service (your own compatible gateway) and
// --grpc-unavailable-rate (failure injection in the embedded gateway), validated with the rest of
// the run's flags so every problem is reported at once.
import type { Command } from "commander";
import type { Problems } from "../../config/values.js";
import { UsageError } from "../../errors.js";
import { loadVoiceService } from "./proto.js";

export const GRPC_VOICE = "grpc-voice";

export interface GrpcVoiceFlags {
  proto?: string;
  service?: string;
  grpcUnavailableRate?: string;
}

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
    .option("--proto <file>", "grpc-voice: your gateway's .proto (default: tokenstorm's proto/voice/v1/voice.proto)")
    .option("--service <name>", "grpc-voice: fully qualified service in --proto, e.g. acme.voice.v1.Gateway")
    .option("--grpc-unavailable-rate <fraction>", "grpc-voice: fraction of calls the embedded gateway refuses with UNAVAILABLE (default 0)");
}

export function resolveGrpcVoice(flags: GrpcVoiceFlags, protocol: string, hasTarget: boolean, problems: Problems): GrpcVoiceOptions {
  const options: GrpcVoiceOptions = { protoPath: flags.proto ?? null, service: flags.service ?? null, unavailableRate: 0 };
  const given: Array<[string, unknown]> = [["--proto", flags.proto], ["--service", flags.service], ["--grpc-unavailable-rate", flags.grpcUnavailableRate]];
  if (protocol !== GRPC_VOICE) {
    for (const [flag, value] of given) if (value !== undefined) problems.add(`${flag} applies to --protocol ${GRPC_VOICE} only`);
    return options;
  }
  if (flags.grpcUnavailableRate !== undefined) {
    if (hasTarget) problems.add("--grpc-unavailable-rate sets the embedded gateway's failures and does not apply with --target");
    options.unavailableRate = problems.number(flags.grpcUnavailableRate, "fraction", { flag: "--grpc-unavailable-rate" }) ?? 0;
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
