// Every protocol driver by name: the CLI, the conformance suite and the docs read this list.
import { UsageError } from "../errors.js";
import { anthropicMessages } from "./anthropic/client.js";
import { grpcVoice } from "./grpc-voice/client.js";
import { ndjsonCompletions } from "./ndjson/client.js";
import { ollamaChat, ollamaGenerate } from "./ollama/client.js";
import { openAiChat, openAiCompletions } from "./openai/client.js";
import { openAiResponses } from "./openai/responses-client.js";
import { openAiEmbeddings } from "./openai/embeddings-client.js";
import { realtime } from "./realtime/client.js";
import { sessionProtocol } from "./session/client.js";
import type { ProtocolDefinition } from "./types.js";

export const PROTOCOLS: readonly ProtocolDefinition[] = [openAiChat, openAiCompletions, openAiResponses, openAiEmbeddings, anthropicMessages, ollamaGenerate, ollamaChat, ndjsonCompletions, sessionProtocol, realtime, grpcVoice];

export function findProtocol(name: string): ProtocolDefinition {
  const found = PROTOCOLS.find((p) => p.name === name);
  if (!found) {
    throw new UsageError(`--protocol: unknown protocol "${name}" (known: ${PROTOCOLS.map((p) => p.name).join(", ")})`);
  }
  return found;
}
