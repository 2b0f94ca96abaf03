// Emulator side of the OpenAI Responses API: validates POST /v1/responses bodies and frames the
// generation as the typed SSE events the official SDK accumulates (created, in_progress, the
// message item and its output_text part opened, one output_text.delta per token, then the text,
// part and item closed and response.completed), or as one `response` object when not streamed.
// A response cut short by max_output_tokens ends as response.incomplete, as OpenAI's does.
import { randomUUID } from "node:crypto";
import type { GenerationRequest, GenerationResult, StreamRenderer } from "../../emulator/generation.js";
import { InvalidRequest } from "../../emulator/http.js";
import { NUMBER_SLOT, SLOT, templateStringNumber } from "../../emulator/json-template.js";
import { wordsOf } from "../../emulator/text.js";
import { isObject, type JsonObject, optionalBoolean, optionalPositiveInteger, requireObject } from "../../emulator/validate.js";
import {
  type OutputMessage,
  type OutputText,
  RESPONSE_EVENTS,
  type ResponseObject,
  responsesSseEvent,
  responsesUsageOf,
} from "./responses-wire.js";

/** What one request fixes about its response, before any token exists. */
interface ResponseShell {
  id: string;
  itemId: string;
  createdAt: number;
  model: string;
  instructions: string | null;
  maxOutputTokens: number | null;
}

function newId(prefix: string): string {
  return prefix + randomUUID().replaceAll("-", "");
}

function outputText(text: string): OutputText {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

function message(shell: ResponseShell, status: OutputMessage["status"], content: OutputText[]): OutputMessage {
  return { type: "message", id: shell.itemId, status, role: "assistant", content };
}

function responseObject(shell: ResponseShell, output: OutputMessage[], result: GenerationResult | null): ResponseObject {
  const incomplete = result?.finishReason === "length";
  return {
    id: shell.id,
    object: "response",
    created_at: shell.createdAt,
    status: result === null ? "in_progress" : incomplete ? "incomplete" : "completed",
    error: null,
    incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
    instructions: shell.instructions,
    max_output_tokens: shell.maxOutputTokens,
    model: shell.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: 1,
    top_p: 1,
    tool_choice: "auto",
    tools: [],
    text: { format: { type: "text" } },
    truncation: "disabled",
    usage: result === null ? null : responsesUsageOf(result.promptTokens, result.completionTokens, result.cachedTokens ?? 0),
    metadata: {},
  };
}

/**
 * The stream of one response. Every event carries the next sequence number; the text is kept as it
 * goes out because the closing events repeat it whole.
 */
function responseStream(shell: ResponseShell): StreamRenderer {
  let sequence = 0;
  let text = "";
  const where = { item_id: shell.itemId, output_index: 0, content_index: 0 };
  const event = (type: string, fields: JsonObject): string => responsesSseEvent(type, { type, ...fields, sequence_number: sequence++ });
  const delta = templateStringNumber(
    { type: RESPONSE_EVENTS.outputTextDelta, ...where, delta: SLOT, logprobs: [], sequence_number: NUMBER_SLOT },
    { before: `event: ${RESPONSE_EVENTS.outputTextDelta}\ndata: `, after: "\n\n" },
  );
  const opening = (): string =>
    event(RESPONSE_EVENTS.created, { response: responseObject(shell, [], null) }) +
    event(RESPONSE_EVENTS.inProgress, { response: responseObject(shell, [], null) }) +
    event(RESPONSE_EVENTS.outputItemAdded, { output_index: 0, item: message(shell, "in_progress", []) }) +
    event(RESPONSE_EVENTS.contentPartAdded, { ...where, part: outputText("") });
  return {
    contentType: "text/event-stream",
    token(index, piece) {
      const head = index === 0 ? opening() : "";
      text += piece;
      return head + delta(piece, sequence++);
    },
    end(result) {
      const part = outputText(text);
      const item = message(shell, result.finishReason === "length" ? "incomplete" : "completed", [part]);
      const last = result.finishReason === "length" ? RESPONSE_EVENTS.incomplete : RESPONSE_EVENTS.completed;
      return (
        event(RESPONSE_EVENTS.outputTextDone, { ...where, text, logprobs: [] }) +
        event(RESPONSE_EVENTS.contentPartDone, { ...where, part }) +
        event(RESPONSE_EVENTS.outputItemDone, { output_index: 0, item }) +
        event(last, { response: responseObject(shell, [item], result) })
      );
    },
  };
}

/** The text of one input item: a message's content (string or parts), or a tool output. */
function itemText(item: unknown, index: number): string {
  if (!isObject(item)) throw new InvalidRequest(`input[${index}] must be an object`);
  const content = item["content"];
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isObject(part) && typeof part["text"] === "string" ? part["text"] : ""))
      .filter((part) => part.length > 0)
      .join(" ");
  }
  if (content !== undefined && content !== null) throw new InvalidRequest(`input[${index}].content must be a string or an array of parts`);
  return typeof item["output"] === "string" ? item["output"] : "";
}

/** `input` is a string or a non-empty list of items. */
function inputText(body: JsonObject): string {
  const input = body["input"];
  if (input === undefined || input === null) throw new InvalidRequest("'input' is required");
  if (typeof input === "string") return input;
  if (!Array.isArray(input) || input.length === 0) throw new InvalidRequest("'input' must be a string or a non-empty array of items");
  return input.map(itemText).join(" ");
}

function optionalString(body: JsonObject, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new InvalidRequest(`'${key}' must be a string`);
  return value;
}

export function parseResponsesRequest(rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const instructions = optionalString(body, "instructions");
  const maxTokens = optionalPositiveInteger(body, "max_output_tokens");
  const promptWords = wordsOf(instructions === null ? inputText(body) : `${instructions} ${inputText(body)}`);
  const shell: ResponseShell = {
    id: newId("resp_"),
    itemId: newId("msg_"),
    createdAt: Math.floor(Date.now() / 1000),
    model,
    instructions,
    maxOutputTokens: maxTokens ?? null,
  };
  const stream = optionalBoolean(body, "stream") === true;
  return {
    promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: responseStream(shell) }
      : {
          kind: "whole",
          render: (text, result) => {
            const status = result.finishReason === "length" ? "incomplete" : "completed";
            return JSON.stringify(responseObject(shell, [message(shell, status, [outputText(text)])], result));
          },
        },
  };
}
