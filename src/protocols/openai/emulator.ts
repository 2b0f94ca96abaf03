// Emulator side of the OpenAI-compatible protocol: validates chat / completions request bodies and
// frames the generation as SSE chunks (role on the first, finish chunk, optional usage, [DONE]) or
// as one chat.completion / text_completion object.
import { randomUUID } from "node:crypto";
import type { GenerationRequest, GenerationResult, StreamRenderer } from "../../emulator/generation.js";
import { SLOT, template1 } from "../../emulator/json-template.js";
import { wordsOf } from "../../emulator/text.js";
import {
  type JsonObject,
  messagesText,
  optionalBoolean,
  optionalObject,
  optionalPositiveInteger,
  requireNonEmptyArray,
  requireObject,
} from "../../emulator/validate.js";
import { InvalidRequest } from "../../emulator/http.js";
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type CompletionChunk,
  SSE_DONE,
  SSE_FRAMING,
  sseEvent,
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

function usageFor(result: GenerationResult): Usage {
  return usageOf(result.promptTokens, result.completionTokens);
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

function chatStream(who: ResponseIdentity, withUsage: boolean): StreamRenderer {
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"]): ChatCompletionChunk => ({
    id: who.id,
    object: "chat.completion.chunk",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, delta, finish_reason: null }],
  });
  const first = template1(chunk({ role: "assistant", content: SLOT }), SSE_FRAMING);
  const next = template1(chunk({ content: SLOT }), SSE_FRAMING);
  return {
    contentType: "text/event-stream",
    token: (index, piece) => (index === 0 ? first(piece) : next(piece)),
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
  promptText(body: JsonObject): string;
  /** Fields that may carry the response length, in order of precedence. */
  maxTokensKeys: string[];
  stream(who: ResponseIdentity, withUsage: boolean): StreamRenderer;
  whole(who: ResponseIdentity, text: string, result: GenerationResult): ChatCompletion | Completion;
}

function parseFor(endpoint: Endpoint, rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const promptWords = wordsOf(endpoint.promptText(body));
  let maxTokens: number | undefined;
  for (const key of endpoint.maxTokensKeys) maxTokens ??= optionalPositiveInteger(body, key);
  const who = identity(endpoint.idPrefix, model);
  const stream = optionalBoolean(body, "stream") === true;
  return {
    promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: endpoint.stream(who, includeUsage(body)) }
      : { kind: "whole", render: (text, result) => JSON.stringify(endpoint.whole(who, text, result)) },
  };
}

/** A completions prompt is a string or a list of strings; token-id arrays count one token per id. */
function completionPromptText(body: JsonObject): string {
  const prompt = body["prompt"];
  if (prompt === undefined || prompt === null) throw new InvalidRequest("'prompt' is required");
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt)) {
    return prompt.map((item) => (typeof item === "string" || typeof item === "number" ? String(item) : "")).join(" ");
  }
  throw new InvalidRequest("'prompt' must be a string or an array of strings");
}

const CHAT: Endpoint = {
  idPrefix: "chatcmpl-",
  promptText: (body) => messagesText(requireNonEmptyArray(body, "messages")),
  maxTokensKeys: ["max_completion_tokens", "max_tokens"],
  stream: chatStream,
  whole: (who, text, result) => ({
    id: who.id,
    object: "chat.completion",
    created: who.created,
    model: who.model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: result.finishReason }],
    usage: usageFor(result),
  }),
};

const COMPLETIONS: Endpoint = {
  idPrefix: "cmpl-",
  promptText: completionPromptText,
  maxTokensKeys: ["max_tokens"],
  stream: completionStream,
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
