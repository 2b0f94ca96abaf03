// Emulator side of Anthropic's Messages API (POST /v1/messages): validates the body as the API
// does (`max_tokens` required, roles user / assistant, `system` apart) and frames the generation as
// the API's named SSE events — message_start, content_block_start, ping, one content_block_delta
// per token, content_block_stop, message_delta with the usage, message_stop — or as one `message`.
// Reasoning streams first as a thinking block; a request offering tools may get a tool_use block
// (its input as input_json_delta pieces, stop_reason tool_use) instead of the text.
import { randomUUID } from "node:crypto";
import type { FinishReason, GenerationRequest, GenerationResult, StreamRenderer, ToolCall, ToolOffer, WholeExtras } from "../../emulator/generation.js";
import { InvalidRequest } from "../../emulator/http.js";
import { SLOT, template1 } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import { toolOfferOf } from "../../emulator/tool-call.js";
import { type JsonObject, isObject, messageTexts, optionalBoolean, requireNonEmptyArray, requireObject } from "../../emulator/validate.js";
import { anthropicError, type ContentBlock, type Message, sseEvent, sseFraming, type StopReason, type StreamEvent } from "./wire.js";

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
function systemTexts(body: JsonObject): string[] {
  const system = body["system"];
  if (system === undefined || system === null) return [];
  if (typeof system === "string") return [system];
  if (Array.isArray(system)) return system.map((block) => (isObject(block) && typeof block["text"] === "string" ? block["text"] : ""));
  throw new InvalidRequest("system: must be a string or an array of text blocks");
}

function conversationTexts(body: JsonObject): string[] {
  const messages = requireNonEmptyArray(body, "messages");
  messages.forEach((message, index) => {
    const role = isObject(message) ? message["role"] : undefined;
    if (role !== "user" && role !== "assistant") {
      throw new InvalidRequest(`messages.${index}.role: must be "user" or "assistant" (a system prompt goes in the top-level system field)`);
    }
  });
  return messageTexts(messages);
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

/** A tool_use block's id, made from the emulator's call id. */
function toolUseId(call: ToolCall): string {
  return "toolu_" + call.id.slice("call_".length);
}

/** What the thinking block's signature_delta carries: opaque to clients, which keep it whole. */
function signatureOf(thinking: string): string {
  return Buffer.from(`tokenstorm:${thinking.length}`).toString("base64");
}

/**
 * The stream of one message. Its content blocks open in turn: a thinking block when the generation
 * has reasoning (thinking deltas, then its signature), then the text block or a tool_use block
 * whose input streams as partial JSON.
 */
function messageStream(shell: Message): StreamRenderer {
  let started = false;
  /** The index of the block now streaming; -1 before the first. */
  let block = -1;
  let thinking: { text: string; closed: boolean } | null = null;
  let toolCall: ToolCall | null = null;
  let textDelta: ((piece: string) => string) | null = null;
  const start = (): string => {
    if (started) return "";
    started = true;
    return sseEvent({ type: "message_start", message: shell });
  };
  const openBlock = (contentBlock: ContentBlock): string => {
    block++;
    return sseEvent({ type: "content_block_start", index: block, content_block: contentBlock }) + (block === 0 ? sseEvent({ type: "ping" }) : "");
  };
  const closeThinking = (): string => {
    if (thinking === null || thinking.closed) return "";
    thinking.closed = true;
    return (
      sseEvent({ type: "content_block_delta", index: block, delta: { type: "signature_delta", signature: signatureOf(thinking.text) } }) +
      sseEvent({ type: "content_block_stop", index: block })
    );
  };
  return {
    contentType: "text/event-stream",
    reasoning(index, piece) {
      let head = "";
      if (index === 0) {
        thinking = { text: "", closed: false };
        head = start() + openBlock({ type: "thinking", thinking: "", signature: "" });
      }
      thinking!.text += piece;
      return head + sseEvent({ type: "content_block_delta", index: block, delta: { type: "thinking_delta", thinking: piece } });
    },
    token(index, piece) {
      let head = "";
      if (index === 0) {
        head = start() + closeThinking() + openBlock({ type: "text", text: "" });
        textDelta = template1(
          { type: "content_block_delta", index: block, delta: { type: "text_delta", text: SLOT } } satisfies StreamEvent,
          sseFraming("content_block_delta"),
        );
      }
      return head + textDelta!(piece);
    },
    toolCall: {
      start(call) {
        toolCall = call;
        return start() + closeThinking() + openBlock({ type: "tool_use", id: toolUseId(call), name: call.name, input: {} });
      },
      arguments: (_index, piece) => sseEvent({ type: "content_block_delta", index: block, delta: { type: "input_json_delta", partial_json: piece } }),
    },
    end(result: GenerationResult) {
      // A generation cut before its answer began (max_tokens spent on thinking) closes what it opened.
      const closing = thinking !== null && !thinking.closed ? closeThinking() : block >= 0 ? sseEvent({ type: "content_block_stop", index: block }) : "";
      return (
        start() +
        closing +
        sseEvent({
          type: "message_delta",
          delta: { stop_reason: toolCall !== null && result.finishReason !== "length" ? "tool_use" : stopReasonOf(result.finishReason), stop_sequence: null },
          usage: { output_tokens: result.completionTokens },
        }) +
        sseEvent({ type: "message_stop" })
      );
    },
  };
}

function wholeMessage(shell: Message, text: string, result: GenerationResult, extras: WholeExtras): Message {
  const content: ContentBlock[] = [];
  if (extras.reasoning !== undefined) content.push({ type: "thinking", thinking: extras.reasoning, signature: signatureOf(extras.reasoning) });
  const call = extras.toolCall;
  content.push(call ? { type: "tool_use", id: toolUseId(call), name: call.name, input: JSON.parse(call.argumentPieces.join("")) as unknown } : { type: "text", text });
  return {
    ...shell,
    content,
    stop_reason: call && result.finishReason !== "length" ? "tool_use" : stopReasonOf(result.finishReason),
    usage: { input_tokens: result.promptTokens, output_tokens: result.completionTokens },
  };
}

/** Anthropic's tools: `{name, description, input_schema}`. */
function messagesToolOffer(body: JsonObject): ToolOffer | undefined {
  return toolOfferOf(body, { holder: (tool) => tool, holderPath: "tools.0", schemaKey: "input_schema" });
}

export function parseMessagesRequest(rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const prompt = promptOf([...systemTexts(body), ...conversationTexts(body)]);
  const maxTokens = requireMaxTokens(body);
  const shell = messageShell(model, prompt.promptWords.length);
  const toolOffer = messagesToolOffer(body);
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens,
    leadingSpace: true,
    errorBody: anthropicError,
    promptCounted: (tokens) => (shell.usage.input_tokens = tokens),
    delivery:
      optionalBoolean(body, "stream") === true
        ? { kind: "stream", renderer: messageStream(shell) }
        : { kind: "whole", render: (text, result, extras) => JSON.stringify(wholeMessage(shell, text, result, extras)), reasoning: true },
    ...(toolOffer ? { toolOffer } : {}),
  };
}
