// Every protocol driver by name, all loaded: the conformance suite, the docs and the commands that
// list or offer them read this list (a run loads only its own driver, through names.ts).
import { anthropicMessages } from "./anthropic/client.js";
import { grpcVoice } from "./grpc-voice/client.js";
import { ndjsonCompletions } from "./ndjson/client.js";
import { ollamaChat, ollamaGenerate } from "./ollama/client.js";
import { openAiChat, openAiCompletions } from "./openai/client.js";
import { openAiResponses } from "./openai/responses-client.js";
import { openAiEmbeddings } from "./openai/embeddings-client.js";
import { realtime } from "./realtime/client.js";
import { sessionProtocol } from "./session/client.js";
import { checkProtocolName } from "./names.js";
import type { ProtocolDefinition } from "./types.js";

export const PROTOCOLS: readonly ProtocolDefinition[] = [openAiChat, openAiCompletions, openAiResponses, openAiEmbeddings, anthropicMessages, ollamaGenerate, ollamaChat, ndjsonCompletions, sessionProtocol, realtime, grpcVoice];

export function findProtocol(name: string): ProtocolDefinition {
  checkProtocolName(name);
  return PROTOCOLS.find((p) => p.name === name)!;
}
