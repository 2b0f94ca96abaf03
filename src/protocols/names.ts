// The protocol drivers by name, each loaded only when asked for: a run pays for its own driver, not
// for every protocol's (WebSocket, gRPC, session clients). registry.ts holds them all, loaded; the
// conformance suite checks that both lists name the same protocols in the same order.
import { UsageError } from "../errors.js";
import type { ProtocolDefinition } from "./types.js";

interface ProtocolLoader {
  name: string;
  load(): Promise<ProtocolDefinition>;
}

const LOADERS: readonly ProtocolLoader[] = [
  { name: "openai-chat", load: async () => (await import("./openai/client.js")).openAiChat },
  { name: "openai-completions", load: async () => (await import("./openai/client.js")).openAiCompletions },
  { name: "openai-responses", load: async () => (await import("./openai/responses-client.js")).openAiResponses },
  { name: "openai-embeddings", load: async () => (await import("./openai/embeddings-client.js")).openAiEmbeddings as ProtocolDefinition },
  { name: "anthropic-messages", load: async () => (await import("./anthropic/client.js")).anthropicMessages },
  { name: "ollama-generate", load: async () => (await import("./ollama/client.js")).ollamaGenerate },
  { name: "ollama-chat", load: async () => (await import("./ollama/client.js")).ollamaChat },
  { name: "ndjson", load: async () => (await import("./ndjson/client.js")).ndjsonCompletions },
  { name: "session", load: async () => (await import("./session/client.js")).sessionProtocol as ProtocolDefinition },
  { name: "realtime", load: async () => (await import("./realtime/client.js")).realtime },
  { name: "grpc-voice", load: async () => (await import("./grpc-voice/client.js")).grpcVoice as ProtocolDefinition },
];

export const PROTOCOL_NAMES: readonly string[] = LOADERS.map((loader) => loader.name);

function loaderOf(name: string): ProtocolLoader {
  const found = LOADERS.find((loader) => loader.name === name);
  if (!found) throw new UsageError(`--protocol: unknown protocol "${name}" (known: ${PROTOCOL_NAMES.join(", ")})`);
  return found;
}

/** Throws the UsageError `findProtocol` would for an unknown name, without loading any driver. */
export function checkProtocolName(name: string): void {
  loaderOf(name);
}

/** The named protocol's definition, its module loaded on first use. */
export function loadProtocol(name: string): Promise<ProtocolDefinition> {
  return loaderOf(name).load();
}
