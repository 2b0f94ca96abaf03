// Emulator side of Anthropic's Messages API (POST /v1/messages): validates the body as the API
// does (`max_tokens` required, roles user / assistant, `system` apart) and frames the generation as
// the API's named SSE events — message_start, content_block_start, ping, one content_block_delta
// per token, content_block_stop, message_delta with the usage, message_stop — or as one `message`.
import { randomUUID } from "node:crypto";
import type { FinishReason, GenerationRequest, GenerationResult, StreamRenderer } from "../../emulator/generation.js";
import { InvalidRequest } from "../../emulator/http.js";
import { SLOT, template1 } from "../../emulator/json-template.js";
import { wordsOf } from "../../emulator/text.js";
import { type JsonObject, isObject, messagesText, optionalBoolean, requireNonEmptyArray, requireObject } from "../../emulator/validate.js";
import { anthropicError, type Message, sseEvent, sseFraming, type StopReason, type StreamEvent } from "./wire.js";

/** The emulator's length is the request's max_tokens, so a generation that used it all stopped there. */
function stopReasonOf(finishReason: FinishReason): StopReason {
  return finishReason === "length" ? "max_tokens" : "end_turn";
}

function requireMaxTokens(body: JsonObject): number {
  const value = body["max_tokens"];
  if (value === undefined || value === null) throw new InvalidRequest("max_tokens: Field required");
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new InvalidRequest("max_tokens: must be an integer >= 1");
  return value;
}

/** `system` is a string or a list of text blocks; it counts towards the input tokens. */
function systemText(body: JsonObject): string {
  const system = body["system"];
  if (system === undefined || system === null) return "";
  if (typeof system === "string") return system;
  if (Array.isArray(system)) return system.map((block) => (isObject(block) && typeof block["text"] === "string" ? block["text"] : "")).join(" ");
  throw new InvalidRequest("system: must be a string or an array of text blocks");
}

function conversationText(body: JsonObject): string {
  const messages = requireNonEmptyArray(body, "messages");
  messages.forEach((message, index) => {
    const role = isObject(message) ? message["role"] : undefined;
    if (role !== "user" && role !== "assistant") {
      throw new InvalidRequest(`messages.${index}.role: must be "user" or "assistant" (a system prompt goes in the top-level system field)`);
    }
  });
  return messagesText(messages);
}

function messageShell(model: string, inputTokens: number): Message {
  return {
    id: "msg_" + randomUUID().replaceAll("-", "").slice(0, 24),
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: 0 },
  };
}

function messageStream(shell: Message): StreamRenderer {
  const opening =
    sseEvent({ type: "message_start", message: shell }) +
    sseEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
    sseEvent({ type: "ping" });
  const textDelta = template1(
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: SLOT } } satisfies StreamEvent,
    sseFraming("content_block_delta"),
  );
  return {
    contentType: "text/event-stream",
    token: (index, piece) => (index === 0 ? opening + textDelta(piece) : textDelta(piece)),
    end: (result: GenerationResult) =>
      sseEvent({ type: "content_block_stop", index: 0 }) +
      sseEvent({
        type: "message_delta",
        delta: { stop_reason: stopReasonOf(result.finishReason), stop_sequence: null },
        usage: { output_tokens: result.completionTokens },
      }) +
      sseEvent({ type: "message_stop" }),
  };
}

function wholeMessage(shell: Message, text: string, result: GenerationResult): Message {
  return {
    ...shell,
    content: [{ type: "text", text }],
    stop_reason: stopReasonOf(result.finishReason),
    usage: { input_tokens: result.promptTokens, output_tokens: result.completionTokens },
  };
}

export function parseMessagesRequest(rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const promptWords = wordsOf(`${systemText(body)} ${conversationText(body)}`);
  const maxTokens = requireMaxTokens(body);
  const shell = messageShell(model, promptWords.length);
  return {
    promptWords,
    maxTokens,
    leadingSpace: true,
    errorBody: anthropicError,
    delivery:
      optionalBoolean(body, "stream") === true
        ? { kind: "stream", renderer: messageStream(shell) }
        : { kind: "whole", render: (text, result) => JSON.stringify(wholeMessage(shell, text, result)) },
  };
}
