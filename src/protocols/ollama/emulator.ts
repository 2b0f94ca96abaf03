// Emulator side of Ollama's /api/generate and /api/chat: NDJSON token objects and a final done:true
// object whose durations are taken from the generation's actual timing, so a client's tokens/s
// computed from eval_count / eval_duration matches what it observed.
import type { GenerationRequest, GenerationResult, StreamRenderer } from "../../emulator/generation.js";
import { SLOT, template2 } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import {
  type JsonObject,
  messageTexts,
  optionalBoolean,
  optionalObject,
  requireNonEmptyArray,
  requireObject,
  requireString,
} from "../../emulator/validate.js";
import { InvalidRequest } from "../../emulator/http.js";
import { ndjsonLine, type OllamaChatFinal, type OllamaDoneFields, type OllamaGenerateFinal } from "./wire.js";

const NDJSON_FRAMING = { before: "", after: "\n" } as const;

function nanoseconds(ms: number): number {
  return Math.max(0, Math.round(ms * 1e6));
}

function doneFields(result: GenerationResult): OllamaDoneFields {
  const { receivedAtMs, admittedAtMs, firstTokenAtMs, endedAtMs } = result.timing;
  // Queue wait reads as model loading, time to first token as prompt evaluation; the parts sum to the total.
  return {
    done: true,
    // Ollama's endpoints offer no tool calls here (no ToolOffer), so a generation ends on stop or length.
    done_reason: result.finishReason === "length" ? "length" : "stop",
    total_duration: nanoseconds(endedAtMs - receivedAtMs),
    load_duration: nanoseconds(admittedAtMs - receivedAtMs),
    prompt_eval_count: result.promptTokens,
    prompt_eval_duration: nanoseconds(firstTokenAtMs - admittedAtMs),
    eval_count: result.completionTokens,
    eval_duration: nanoseconds(endedAtMs - firstTokenAtMs),
  };
}

/** num_predict below 1 means "no limit" to Ollama, which here is the emulator's default length. */
function numPredict(body: JsonObject): number | undefined {
  const options = optionalObject(body, "options");
  const value = options?.["num_predict"];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new InvalidRequest("'options.num_predict' must be an integer");
  return value >= 1 ? value : undefined;
}

/** What differs between /api/generate and /api/chat: where the prompt is and how a piece of text is carried. */
interface Endpoint {
  promptTexts(body: JsonObject): string[];
  tokenShape(model: string): unknown;
  final(model: string, createdAt: string, text: string, result: GenerationResult): OllamaGenerateFinal | OllamaChatFinal;
}

const GENERATE: Endpoint = {
  promptTexts: (body) => [requireString(body, "prompt")],
  tokenShape: (model) => ({ model, created_at: SLOT, response: SLOT, done: false }),
  final: (model, createdAt, text, result) => ({ model, created_at: createdAt, response: text, ...doneFields(result) }),
};

const CHAT: Endpoint = {
  promptTexts: (body) => messageTexts(requireNonEmptyArray(body, "messages")),
  tokenShape: (model) => ({ model, created_at: SLOT, message: { role: "assistant", content: SLOT }, done: false }),
  final: (model, createdAt, text, result) => ({
    model,
    created_at: createdAt,
    message: { role: "assistant", content: text },
    ...doneFields(result),
  }),
};

function streamRenderer(endpoint: Endpoint, model: string): StreamRenderer {
  const token = template2(endpoint.tokenShape(model), NDJSON_FRAMING);
  return {
    contentType: "application/x-ndjson",
    token: (_index, piece) => token(new Date().toISOString(), piece),
    end: (result) => ndjsonLine(endpoint.final(model, new Date().toISOString(), "", result)),
  };
}

function parseFor(endpoint: Endpoint, rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  requireString(body, "model");
  const prompt = promptOf(endpoint.promptTexts(body));
  const maxTokens = numPredict(body);
  const stream = optionalBoolean(body, "stream") ?? true;
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: streamRenderer(endpoint, model) }
      : { kind: "whole", render: (text, result) => JSON.stringify(endpoint.final(model, new Date().toISOString(), text, result)) },
  };
}

export function parseGenerateRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(GENERATE, body, model);
}

export function parseChatRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(CHAT, body, model);
}
