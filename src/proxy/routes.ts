// Which of tokenstorm's HTTP streaming protocols a proxied request speaks, from its path and the
// response's content type, so that the proxy measures it with that protocol's own stream decoder
// (the one `run` uses). Requests on other paths (model lists, health...) pass through unmeasured.
import { chatProtocol as ollamaChat, generateProtocol as ollamaGenerate } from "../protocols/ollama/client.js";
import { ndjsonProtocol } from "../protocols/ndjson/client.js";
import { chatProtocol as openAiChat, completionsProtocol as openAiCompletions } from "../protocols/openai/client.js";
import { responsesProtocol } from "../protocols/openai/responses-client.js";
import { messagesProtocol } from "../protocols/anthropic/client.js";
import { anthropicError } from "../protocols/anthropic/wire.js";
import { openAIError } from "../protocols/openai/wire.js";
import type { HttpStreamProtocol } from "../protocols/http/stream-driver.js";

/** Shape of the error bodies the proxy writes itself (429, 502): what clients of that API parse. */
export type ErrorShape = "openai" | "ollama" | "anthropic";

export interface ProxyRoute {
  /** The route label in metrics (the API path without any mount prefix). */
  name: string;
  errorShape: ErrorShape;
  /** The decoder for a response with this content type; null: measured without tokens (e2e only). */
  protocolFor(contentType: string): HttpStreamProtocol | null;
}

const isSse = (contentType: string): boolean => contentType.includes("text/event-stream");
const isNdjson = (contentType: string): boolean => contentType.includes("ndjson");

const ROUTES: ProxyRoute[] = [
  { name: "/v1/chat/completions", errorShape: "openai", protocolFor: (type) => (isSse(type) ? openAiChat : null) },
  {
    name: "/v1/completions",
    errorShape: "openai",
    // The same path carries OpenAI SSE or seed 004's NDJSON lines; the response says which.
    protocolFor: (type) => (isSse(type) ? openAiCompletions : isNdjson(type) ? ndjsonProtocol : null),
  },
  { name: "/v1/responses", errorShape: "openai", protocolFor: (type) => (isSse(type) ? responsesProtocol : null) },
  { name: "/v1/messages", errorShape: "anthropic", protocolFor: (type) => (isSse(type) ? messagesProtocol : null) },
  // Ollama streams NDJSON, and answers stream:false with one JSON object the same decoder reads.
  { name: "/api/generate", errorShape: "ollama", protocolFor: (type) => (isNdjson(type) || type.includes("json") ? ollamaGenerate : null) },
  { name: "/api/chat", errorShape: "ollama", protocolFor: (type) => (isNdjson(type) || type.includes("json") ? ollamaChat : null) },
];

/** The measured route a request path ends in (after any mount prefix), or null. */
export function routeOf(path: string): ProxyRoute | null {
  const bare = path.split("?", 1)[0]!.replace(/\/+$/, "");
  return ROUTES.find((route) => bare.endsWith(route.name)) ?? null;
}

/** An error body in the shape the route's clients parse. */
export function errorBody(shape: ErrorShape, status: number, message: string): string {
  if (shape === "ollama") return JSON.stringify({ error: message });
  return JSON.stringify(shape === "anthropic" ? anthropicError(status, message) : openAIError(status, message));
}
