// Loads the voice gateway's service definition at run time: our own proto/voice/v1/voice.proto by
// default, or a user's compatible .proto (--proto FILE --service package.Service). Compatible means a
// bidirectional-streaming method whose request and response messages use our event field names; the
// check happens here, once, so a wrong file is a one-line usage error and not a run of failures.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import type * as ProtoLoader from "@grpc/proto-loader";
import { UsageError } from "../../errors.js";
import { grpcJs, protoLoader } from "./grpc-modules.js";

/** The proto shipped with the package (proto/ beside dist/ at the package root). */
export const DEFAULT_PROTO_PATH = fileURLToPath(new URL("../../../../proto/voice/v1/voice.proto", import.meta.url));
export const DEFAULT_SERVICE = "tokenstorm.voice.v1.VoiceGateway";
const DEFAULT_METHOD = "Converse";

/** Event fields the client sends and the fields of a server event it needs to understand. */
const REQUIRED_CLIENT_FIELDS = ["audio", "speech_end"] as const;
const REQUIRED_SERVER_FIELDS = ["audio", "response_done"] as const;

export interface VoiceServiceSource {
  /** Path of the .proto file (default: ours). */
  protoPath?: string;
  /** Fully qualified service name (default tokenstorm.voice.v1.VoiceGateway). */
  service?: string;
}

export interface LoadedVoiceService {
  protoPath: string;
  serviceName: string;
  methodName: string;
  /** The service definition, for grpc.Server#addService. */
  definition: grpc.ServiceDefinition;
  /** Client constructor for the service. */
  Client: grpc.ServiceClientConstructor;
  /** Field names of the request and response event messages. */
  clientFields: ReadonlySet<string>;
  serverFields: ReadonlySet<string>;
}

/**
 * keepCase: field names exactly as in the .proto (snake_case); bytes as Buffers; enums as their names;
 * no defaults, so only the fields a peer actually set appear and the set oneof member is the one key.
 */
const LOADER_OPTIONS: ProtoLoader.Options = { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: false, oneofs: true };

function messageFields(type: unknown): Set<string> {
  return new Set((type as { field: Array<{ name: string }> }).field.map((f) => f.name));
}

const cache = new Map<string, LoadedVoiceService>();

export function loadVoiceService(source: VoiceServiceSource = {}): LoadedVoiceService {
  const protoPath = source.protoPath ?? DEFAULT_PROTO_PATH;
  const serviceName = source.service ?? DEFAULT_SERVICE;
  const key = `${protoPath}\0${serviceName}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const flag = source.protoPath ? `--proto ${protoPath}` : protoPath;
  if (!existsSync(protoPath)) throw new UsageError(`${flag}: no such file`);
  let packageDefinition: ProtoLoader.PackageDefinition;
  try {
    packageDefinition = protoLoader().loadSync(protoPath, LOADER_OPTIONS);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  const service = packageDefinition[serviceName] as grpc.ServiceDefinition | undefined;
  const services = Object.keys(packageDefinition).filter((name) => !("format" in packageDefinition[name]!) && !("type" in packageDefinition[name]!));
  if (!service || !services.includes(serviceName)) {
    throw new UsageError(`--service: no service "${serviceName}" in ${protoPath} (services: ${services.join(", ") || "none"})`);
  }
  const bidi = Object.entries(service).filter(([, method]) => method.requestStream && method.responseStream);
  const chosen = bidi.find(([name]) => name === DEFAULT_METHOD) ?? (bidi.length === 1 ? bidi[0] : undefined);
  if (!chosen) {
    throw new UsageError(`--service ${serviceName}: needs one bidirectional-streaming method (or one named ${DEFAULT_METHOD}); found ${bidi.map(([n]) => n).join(", ") || "none"}`);
  }
  const [methodName, method] = chosen;
  const typed = method as unknown as { requestType: { type: unknown }; responseType: { type: unknown } };
  const clientFields = messageFields(typed.requestType.type);
  const serverFields = messageFields(typed.responseType.type);
  const missing = [
    ...REQUIRED_CLIENT_FIELDS.filter((f) => !clientFields.has(f)).map((f) => `request field "${f}"`),
    ...REQUIRED_SERVER_FIELDS.filter((f) => !serverFields.has(f)).map((f) => `response field "${f}"`),
  ];
  if (missing.length > 0) {
    throw new UsageError(`--service ${serviceName}/${methodName}: not a voice gateway method (missing ${missing.join(", ")}; see docs/grpc-voice.md)`);
  }
  const Client = grpcJs().makeClientConstructor(service, serviceName);
  const loaded: LoadedVoiceService = { protoPath, serviceName, methodName, definition: service, Client, clientFields, serverFields };
  cache.set(key, loaded);
  return loaded;
}
