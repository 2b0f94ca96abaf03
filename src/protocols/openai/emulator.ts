// Emulator side of the OpenAI-compatible protocol: validates chat / completions request bodies and
// frames the generation as SSE chunks (role on the first, finish chunk, optional usage, [DONE]) or
// as one chat.completion / text_completion object. Chat also carries reasoning (`reasoning_content`)
// and tool calls; completions has no place for either.
import { randomUUID } from "node:crypto";
import type { GenerationRequest, GenerationResult, StreamRenderer, ToolOffer, WholeExtras } from "../../emulator/generation.js";
import { SLOT, template1 } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import {
  type JsonObject,
  messageTexts,
  optionalBoolean,
  optionalObject,
  optionalPositiveInteger,
  requireNonEmptyArray,
  requireObject,
} from "../../emulator/validate.js";
import { InvalidRequest } from "../../emulator/http.js";
import { CHAT_TOOL_SHAPE, toolOfferOf } from "../../emulator/tool-call.js";
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type CompletionChunk,
  SSE_DONE,
  SSE_FRAMING,
  sseEvent,
  type ToolCallDelta,
  type Usage,
  usageOf,
} from "./wire.js";

interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

function identity(idPrefix: string, model: string): ResponseIdentity {
  return { id: idPrefix + randomUUID().replaceAll("-", "").slice(0, 24), created: Math.floor(Date.now() / 1000), model };
}

/** `make()`'s value, made on the first call and kept. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function usageFor(result: GenerationResult): Usage {
  return usageOf(result.promptTokens, result.completionTokens, result.cachedTokens, result.reasoningTokens);
}

/** Frames after the last token, common to both endpoints. */
function endFrames<Chunk>(
  finish: (result: GenerationResult) => Chunk,
  usageChunk: (result: GenerationResult) => Chunk | undefined,
): StreamRenderer["end"] {
  return (result: GenerationResult): string => {
    const usage = usageChunk(result);
    return sseEvent(finish(result)) + (usage ? sseEvent(usage) : "") + SSE_DONE;
  };
}

function includeUsage(body: JsonObject): boolean {
  const streamOptions = optionalObject(body, "stream_options");
  return streamOptions ? optionalBoolean(streamOptions, "include_usage") === true : false;
}

/**
 * Chat chunks: reasoning as `reasoning_content` deltas, then content deltas or a tool call (its
 * opening delta with id, type and name, then its arguments in pieces). The first chunk of the
 * stream, whatever it carries, also carries the role.
 */
function chatStream(who: ResponseIdentity, withUsage: boolean): StreamRenderer {
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"]): ChatCompletionChunk => ({
    id: who.id,
    object: "chat.completion.chunk",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, delta, finish_reason: null }],
  });
  /**
   * A frame template with and without the role, for a delta shape holding one slot. Each is made on
   * first use: most streams never need reasoning or tool-call frames, and a one-token stream never
   * needs the frame without the role (making a template serialises the whole chunk once).
   */
  const framed = (delta: ChatCompletionChunk["choices"][number]["delta"]): [first: () => (value: string) => string, next: () => (value: string) => string] => [
    once(() => template1(chunk({ role: "assistant", ...delta }), SSE_FRAMING)),
    once(() => template1(chunk(delta), SSE_FRAMING)),
  ];
  const content = framed({ content: SLOT });
  const reasoning = framed({ reasoning_content: SLOT });
  const toolArguments = once(() => template1(chunk({ tool_calls: [{ index: 0, function: { arguments: SLOT } }] }), SSE_FRAMING));
  let started = false;
  const frame = ([first, next]: [() => (value: string) => string, () => (value: string) => string], piece: string): string => {
    if (started) return next()(piece);
    started = true;
    return first()(piece);
  };
  return {
    contentType: "text/event-stream",
    token: (_index, piece) => frame(content, piece),
    reasoning: (_index, piece) => frame(reasoning, piece),
    toolCall: {
      start: (call) => {
        const opening: ToolCallDelta[] = [{ index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } }];
        const delta = started ? { tool_calls: opening } : { role: "assistant" as const, tool_calls: opening };
        started = true;
        return sseEvent(chunk(delta));
      },
      arguments: (_index, piece) => toolArguments()(piece),
    },
    end: endFrames(
      (result): ChatCompletionChunk => ({ ...chunk({}), choices: [{ index: 0, delta: {}, finish_reason: result.finishReason }] }),
      (result) => (withUsage ? { ...chunk({}), choices: [], usage: usageFor(result) } : undefined),
    ),
  };
}

function completionStream(who: ResponseIdentity, withUsage: boolean): StreamRenderer {
  const chunk = (text: string, finishReason: CompletionChunk["choices"][number]["finish_reason"]): CompletionChunk => ({
    id: who.id,
    object: "text_completion",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, text, finish_reason: finishReason }],
  });
  const token = template1(chunk(SLOT, null), SSE_FRAMING);
  return {
    contentType: "text/event-stream",
    token: (_index, piece) => token(piece),
    end: endFrames(
      (result) => chunk("", result.finishReason),
      (result) => (withUsage ? { ...chunk("", null), choices: [], usage: usageFor(result) } : undefined),
    ),
  };
}

/** What differs between /v1/chat/completions and /v1/completions. */
interface Endpoint {
  idPrefix: string;
  promptTexts(body: JsonObject): string[];
  /** Fields that may carry the response length, in order of precedence. */
  maxTokensKeys: string[];
  stream(who: ResponseIdentity, withUsage: boolean): StreamRenderer;
  whole(who: ResponseIdentity, text: string, result: GenerationResult, extras: WholeExtras): ChatCompletion | Completion;
  /** Whether the whole body has a place for reasoning text (chat's message.reasoning_content). */
  wholeReasoning: boolean;
  /** The tool a request offers, for endpoints that can answer with a tool call. */
  toolOffer?(body: JsonObject): ToolOffer | undefined;
}

function parseFor(endpoint: Endpoint, rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const prompt = promptOf(endpoint.promptTexts(body));
  let maxTokens: number | undefined;
  for (const key of endpoint.maxTokensKeys) maxTokens ??= optionalPositiveInteger(body, key);
  const who = identity(endpoint.idPrefix, model);
  const stream = optionalBoolean(body, "stream") === true;
  const toolOffer = endpoint.toolOffer?.(body);
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: endpoint.stream(who, includeUsage(body)) }
      : { kind: "whole", render: (text, result, extras) => JSON.stringify(endpoint.whole(who, text, result, extras)), reasoning: endpoint.wholeReasoning },
    ...(toolOffer ? { toolOffer } : {}),
  };
}

function chatToolOffer(body: JsonObject): ToolOffer | undefined {
  return toolOfferOf(body, CHAT_TOOL_SHAPE);
}

function chatMessage(text: string, extras: WholeExtras): ChatCompletion["choices"][number]["message"] {
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: extras.toolCall ? null : text };
  if (extras.reasoning !== undefined) message.reasoning_content = extras.reasoning;
  if (extras.toolCall) {
    const { id, name, argumentPieces } = extras.toolCall;
    message.tool_calls = [{ id, type: "function", function: { name, arguments: argumentPieces.join("") } }];
  }
  return message;
}

/** A completions prompt is a string or a list of strings; token-id arrays count one token per id. */
function completionPromptTexts(body: JsonObject): string[] {
  const prompt = body["prompt"];
  if (prompt === undefined || prompt === null) throw new InvalidRequest("'prompt' is required");
  if (typeof prompt === "string") return [prompt];
  if (Array.isArray(prompt)) {
    return prompt.map((item) => (typeof item === "string" || typeof item === "number" ? String(item) : ""));
  }
  throw new InvalidRequest("'prompt' must be a string or an array of strings");
}

const CHAT: Endpoint = {
  idPrefix: "chatcmpl-",
  promptTexts: (body) => messageTexts(requireNonEmptyArray(body, "messages")),
  maxTokensKeys: ["max_completion_tokens", "max_tokens"],
  stream: chatStream,
  whole: (who, text, result, extras) => ({
    id: who.id,
    object: "chat.completion",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, message: chatMessage(text, extras), finish_reason: result.finishReason }],
    usage: usageFor(result),
  }),
  wholeReasoning: true,
  toolOffer: chatToolOffer,
};

const COMPLETIONS: Endpoint = {
  idPrefix: "cmpl-",
  promptTexts: completionPromptTexts,
  maxTokensKeys: ["max_tokens"],
  stream: completionStream,
  wholeReasoning: false,
  whole: (who, text, result) => ({
    id: who.id,
    object: "text_completion",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, text, finish_reason: result.finishReason }],
    usage: usageFor(result),
  }),
};

export function parseChatCompletionRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(CHAT, body, model);
}

export function parseCompletionRequest(body: unknown, model: string): GenerationRequest {
  return parseFor(COMPLETIONS, body, model);
}
