// Emulator side of Ollama's /api/generate and /api/chat: NDJSON token objects and a final done:true
// object whose durations are taken from the generation's actual timing, so a client's tokens/s
// computed from eval_count / eval_duration matches what it observed. A thinking model's reasoning
// streams in `thinking` (unless the request says `think: false`); on /api/chat a tool call arrives
// whole, as Ollama's parser sends it: one chunk once the call's last token is generated.
import type { GenerationRequest, GenerationResult, StreamRenderer, ToolCall, ToolOffer, WholeExtras } from "../../emulator/generation.js";
import { SLOT, template2 } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import { CHAT_TOOL_SHAPE, toolOfferOf } from "../../emulator/tool-call.js";
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
import { ndjsonLine, type OllamaChatFinal, type OllamaDoneFields, type OllamaGenerateFinal, type OllamaToolCall, ollamaError } from "./wire.js";

const NDJSON_FRAMING = { before: "", after: "\n" } as const;

function nanoseconds(ms: number): number {
  return Math.max(0, Math.round(ms * 1e6));
}

function doneFields(result: GenerationResult): OllamaDoneFields {
  const { receivedAtMs, admittedAtMs, firstTokenAtMs, endedAtMs } = result.timing;
  // Queue wait reads as model loading, time to first token as prompt evaluation; the parts sum to the total.
  return {
    done: true,
    // Ollama ends a turn that called a tool with "stop", as one that answered.
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

/** A tool call as Ollama sends it: whole, its arguments an object. */
function ollamaToolCall(call: ToolCall): OllamaToolCall {
  return { function: { name: call.name, arguments: JSON.parse(call.argumentPieces.join("")) as Record<string, unknown> } };
}

/**
 * Whether the request lets a thinking model think: Ollama's `think` is a boolean or a level
 * ("high", "medium", "low"); only `false` turns thinking off.
 */
function thinks(body: JsonObject): boolean {
  const think = body["think"];
  if (think === undefined || think === null || think === true || think === "high" || think === "medium" || think === "low") return true;
  if (think === false) return false;
  throw new InvalidRequest("'think' must be a boolean or one of high, medium, low");
}

/** What differs between /api/generate and /api/chat: where the prompt is and how a piece of text is carried. */
interface Endpoint {
  promptTexts(body: JsonObject): string[];
  tokenShape(model: string): unknown;
  /** The shape of a chunk carrying a piece of thinking. */
  thinkingShape(model: string): unknown;
  final(model: string, createdAt: string, text: string, result: GenerationResult, extras: WholeExtras): OllamaGenerateFinal | OllamaChatFinal;
  /** Chat only: the tool a request offers (tools in OpenAI's chat shape), and the chunk of a call to it. */
  toolOffer?(body: JsonObject): ToolOffer | undefined;
  toolCallChunk?(model: string, createdAt: string, call: ToolCall): string;
}

const GENERATE: Endpoint = {
  promptTexts: (body) => [requireString(body, "prompt")],
  tokenShape: (model) => ({ model, created_at: SLOT, response: SLOT, done: false }),
  thinkingShape: (model) => ({ model, created_at: SLOT, response: "", thinking: SLOT, done: false }),
  final: (model, createdAt, text, result, extras) => ({
    model,
    created_at: createdAt,
    response: text,
    ...(extras.reasoning !== undefined ? { thinking: extras.reasoning } : {}),
    ...doneFields(result),
  }),
};

const CHAT: Endpoint = {
  promptTexts: (body) => messageTexts(requireNonEmptyArray(body, "messages")),
  tokenShape: (model) => ({ model, created_at: SLOT, message: { role: "assistant", content: SLOT }, done: false }),
  thinkingShape: (model) => ({ model, created_at: SLOT, message: { role: "assistant", content: "", thinking: SLOT }, done: false }),
  final: (model, createdAt, text, result, extras) => ({
    model,
    created_at: createdAt,
    message: {
      role: "assistant",
      content: text,
      ...(extras.reasoning !== undefined ? { thinking: extras.reasoning } : {}),
      ...(extras.toolCall ? { tool_calls: [ollamaToolCall(extras.toolCall)] } : {}),
    },
    ...doneFields(result),
  }),
  toolOffer: (body) => toolOfferOf(body, CHAT_TOOL_SHAPE),
  toolCallChunk: (model, createdAt, call) =>
    ndjsonLine({ model, created_at: createdAt, message: { role: "assistant", content: "", tool_calls: [ollamaToolCall(call)] }, done: false }),
};

function streamRenderer(endpoint: Endpoint, model: string, thinking: boolean): StreamRenderer {
  const token = template2(endpoint.tokenShape(model), NDJSON_FRAMING);
  const renderer: StreamRenderer = {
    contentType: "application/x-ndjson",
    token: (_index, piece) => token(new Date().toISOString(), piece),
    end: (result) => ndjsonLine(endpoint.final(model, new Date().toISOString(), "", result, {})),
  };
  if (thinking) {
    // Made on first use: most streams have no reasoning.
    let thought: ((createdAt: string, piece: string) => string) | undefined;
    renderer.reasoning = (_index, piece) => (thought ??= template2(endpoint.thinkingShape(model), NDJSON_FRAMING))(new Date().toISOString(), piece);
  }
  const toolCallChunk = endpoint.toolCallChunk;
  if (toolCallChunk) {
    // The call's tokens are generated at the ITL cadence but nothing is sent until the last: then the whole call.
    let call: ToolCall | undefined;
    renderer.toolCall = {
      start: (started) => {
        call = started;
        return "";
      },
      arguments: (index) => (call !== undefined && index === call.argumentPieces.length - 1 ? toolCallChunk(model, new Date().toISOString(), call) : ""),
    };
  }
  return renderer;
}

function parseFor(endpoint: Endpoint, rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  requireString(body, "model");
  const prompt = promptOf(endpoint.promptTexts(body));
  const maxTokens = numPredict(body);
  const stream = optionalBoolean(body, "stream") ?? true;
  const thinking = thinks(body);
  const toolOffer = endpoint.toolOffer?.(body);
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: streamRenderer(endpoint, model, thinking) }
      : { kind: "whole", render: (text, result, extras) => JSON.stringify(endpoint.final(model, new Date().toISOString(), text, result, extras)), reasoning: thinking },
    ...(toolOffer ? { toolOffer } : {}),
    errorBody: ollamaError,
  };
}

export function parseGenerateRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(GENERATE, body, model);
}

export function parseChatRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(CHAT, body, model);
}
