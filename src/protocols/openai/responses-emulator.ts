// Emulator side of the OpenAI Responses API: validates POST /v1/responses bodies and frames the
// generation as the typed SSE events the official SDK accumulates (created, in_progress, the
// message item and its output_text part opened, one output_text.delta per token, then the text,
// part and item closed and response.completed), or as one `response` object when not streamed.
// Reasoning streams first as a reasoning item (reasoning_text deltas); a request offering function
// tools may get a function_call item (its arguments in function_call_arguments deltas) instead of
// the message.
// A response cut short by max_output_tokens ends as response.incomplete, as OpenAI's does.
import { randomUUID } from "node:crypto";
import type { GenerationRequest, GenerationResult, StreamRenderer, ToolCall, ToolOffer, WholeExtras } from "../../emulator/generation.js";
import { InvalidRequest } from "../../emulator/http.js";
import { NUMBER_SLOT, SLOT, templateStringNumber } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import { toolOfferOf } from "../../emulator/tool-call.js";
import { isObject, type JsonObject, optionalBoolean, optionalPositiveInteger, requireObject } from "../../emulator/validate.js";
import {
  type FunctionCallItem,
  type OutputItem,
  type OutputMessage,
  type OutputText,
  type ReasoningItem,
  RESPONSE_EVENTS,
  type ResponseObject,
  responsesSseEvent,
  responsesUsageOf,
} from "./responses-wire.js";

/** What one request fixes about its response, before any token exists. */
interface ResponseShell {
  id: string;
  /** The answer's message item; a reasoning or function-call item gets an id of its own. */
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

function reasoningItem(id: string, text: string | null): ReasoningItem {
  return { type: "reasoning", id, summary: [], content: text === null ? [] : [{ type: "reasoning_text", text }] };
}

function functionCallItem(call: ToolCall, status: FunctionCallItem["status"], args: string): FunctionCallItem {
  return { type: "function_call", id: "fc_" + call.id.slice("call_".length), call_id: call.id, name: call.name, arguments: args, status };
}

/** The response's output: its reasoning (when it had any), then the answer or the tool call. */
function outputItems(shell: ResponseShell, text: string, result: GenerationResult, extras: WholeExtras): OutputItem[] {
  const status = result.finishReason === "length" ? "incomplete" : "completed";
  const items: OutputItem[] = [];
  if (extras.reasoning !== undefined) items.push(reasoningItem(shell.itemId.replace(/^msg_/, "rs_"), extras.reasoning));
  const call = extras.toolCall;
  items.push(call ? functionCallItem(call, status, call.argumentPieces.join("")) : message(shell, status, [outputText(text)]));
  return items;
}

function responseObject(shell: ResponseShell, output: OutputItem[], result: GenerationResult | null): ResponseObject {
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
    usage: result === null ? null : responsesUsageOf(result.promptTokens, result.completionTokens, result.cachedTokens ?? 0, result.reasoningTokens),
    metadata: {},
  };
}

/**
 * The stream of one response. Every event carries the next sequence number. Its output items open
 * in turn: the reasoning item (raw reasoning text, as vLLM streams it for open models) when the
 * generation has reasoning, then the answer's message item or the function-call item. Each item's
 * text is kept as it goes out because the closing events repeat it whole.
 */
function responseStream(shell: ResponseShell): StreamRenderer {
  let sequence = 0;
  let opened = false;
  /** The output index of the item now streaming; -1 before the first. */
  let outputIndex = -1;
  let reasoning: { id: string; text: string; closed: boolean } | null = null;
  let text = "";
  let call: { call: ToolCall; itemId: string; args: string } | null = null;
  let delta: ((piece: string, sequence: number) => string) | null = null;
  const done: OutputItem[] = [];
  const event = (type: string, fields: JsonObject): string => responsesSseEvent(type, { type, ...fields, sequence_number: sequence++ });
  const open = (): string => {
    if (opened) return "";
    opened = true;
    return event(RESPONSE_EVENTS.created, { response: responseObject(shell, [], null) }) + event(RESPONSE_EVENTS.inProgress, { response: responseObject(shell, [], null) });
  };
  /** Closes the reasoning item, when one is open, before the answer's item opens. */
  const closeReasoning = (): string => {
    if (reasoning === null || reasoning.closed) return "";
    reasoning.closed = true;
    const where = { item_id: reasoning.id, output_index: outputIndex, content_index: 0 };
    const item = { ...reasoningItem(reasoning.id, reasoning.text), status: "completed" as const };
    done.push(item);
    return (
      event(RESPONSE_EVENTS.reasoningTextDone, { ...where, text: reasoning.text }) +
      event(RESPONSE_EVENTS.contentPartDone, { ...where, part: { type: "reasoning_text", text: reasoning.text } }) +
      event(RESPONSE_EVENTS.outputItemDone, { output_index: outputIndex, item })
    );
  };
  const openMessage = (): string => {
    const head = open() + closeReasoning();
    outputIndex++;
    const where = { item_id: shell.itemId, output_index: outputIndex, content_index: 0 };
    delta = templateStringNumber(
      { type: RESPONSE_EVENTS.outputTextDelta, ...where, delta: SLOT, logprobs: [], sequence_number: NUMBER_SLOT },
      { before: `event: ${RESPONSE_EVENTS.outputTextDelta}\ndata: `, after: "\n\n" },
    );
    return (
      head +
      event(RESPONSE_EVENTS.outputItemAdded, { output_index: outputIndex, item: message(shell, "in_progress", []) }) +
      event(RESPONSE_EVENTS.contentPartAdded, { ...where, part: outputText("") })
    );
  };
  const closeMessage = (result: GenerationResult): string => {
    const where = { item_id: shell.itemId, output_index: outputIndex, content_index: 0 };
    const part = outputText(text);
    const item = message(shell, result.finishReason === "length" ? "incomplete" : "completed", [part]);
    done.push(item);
    return (
      event(RESPONSE_EVENTS.outputTextDone, { ...where, text, logprobs: [] }) +
      event(RESPONSE_EVENTS.contentPartDone, { ...where, part }) +
      event(RESPONSE_EVENTS.outputItemDone, { output_index: outputIndex, item })
    );
  };
  const closeCall = (current: NonNullable<typeof call>, result: GenerationResult): string => {
    const item = functionCallItem(current.call, result.finishReason === "length" ? "incomplete" : "completed", current.args);
    done.push(item);
    return (
      event(RESPONSE_EVENTS.functionCallArgumentsDone, { item_id: current.itemId, output_index: outputIndex, name: current.call.name, arguments: current.args }) +
      event(RESPONSE_EVENTS.outputItemDone, { output_index: outputIndex, item })
    );
  };
  return {
    contentType: "text/event-stream",
    reasoning(index, piece) {
      let head = "";
      if (index === 0) {
        outputIndex++;
        reasoning = { id: newId("rs_"), text: "", closed: false };
        head =
          open() +
          event(RESPONSE_EVENTS.outputItemAdded, { output_index: outputIndex, item: reasoningItem(reasoning.id, null) }) +
          event(RESPONSE_EVENTS.contentPartAdded, { item_id: reasoning.id, output_index: outputIndex, content_index: 0, part: { type: "reasoning_text", text: "" } });
      }
      const current = reasoning!;
      current.text += piece;
      return head + event(RESPONSE_EVENTS.reasoningTextDelta, { item_id: current.id, output_index: outputIndex, content_index: 0, delta: piece });
    },
    token(index, piece) {
      const head = index === 0 ? openMessage() : "";
      text += piece;
      return head + delta!(piece, sequence++);
    },
    toolCall: {
      start(toolCall) {
        const head = open() + closeReasoning();
        outputIndex++;
        call = { call: toolCall, itemId: "fc_" + toolCall.id.slice("call_".length), args: "" };
        return head + event(RESPONSE_EVENTS.outputItemAdded, { output_index: outputIndex, item: functionCallItem(toolCall, "in_progress", "") });
      },
      arguments(_index, piece) {
        const current = call!;
        current.args += piece;
        return event(RESPONSE_EVENTS.functionCallArgumentsDelta, { item_id: current.itemId, output_index: outputIndex, delta: piece });
      },
    },
    end(result) {
      // A generation cut before its answer began (max_output_tokens spent on reasoning) closes what it opened.
      let frames = open() + closeReasoning();
      if (call !== null) frames += closeCall(call, result);
      else if (delta !== null) frames += closeMessage(result);
      const last = result.finishReason === "length" ? RESPONSE_EVENTS.incomplete : RESPONSE_EVENTS.completed;
      return frames + event(last, { response: responseObject(shell, done, result) });
    },
  };
}

/** The texts of one input item: a message's content (a string, or its text parts), a tool output, or a function call's arguments. */
function itemTexts(item: unknown, index: number): string[] {
  if (!isObject(item)) throw new InvalidRequest(`input[${index}] must be an object`);
  const content = item["content"];
  if (typeof content === "string") return [content];
  if (Array.isArray(content)) {
    return content.map((part) => (isObject(part) && typeof part["text"] === "string" ? part["text"] : "")).filter((part) => part.length > 0);
  }
  if (content !== undefined && content !== null) throw new InvalidRequest(`input[${index}].content must be a string or an array of parts`);
  // A function call's output, or an earlier function call's arguments (JSON text).
  if (typeof item["output"] === "string") return [item["output"]];
  return typeof item["arguments"] === "string" ? [item["arguments"]] : [];
}

/** `input` is a string or a non-empty list of items. */
function inputTexts(body: JsonObject): string[] {
  const input = body["input"];
  if (input === undefined || input === null) throw new InvalidRequest("'input' is required");
  if (typeof input === "string") return [input];
  if (!Array.isArray(input) || input.length === 0) throw new InvalidRequest("'input' must be a string or a non-empty array of items");
  return input.flatMap(itemTexts);
}

function optionalString(body: JsonObject, key: string): string | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new InvalidRequest(`'${key}' must be a string`);
  return value;
}

/** The Responses API's function tools are flat: `{type: "function", name, parameters}`. */
function responsesToolOffer(body: JsonObject): ToolOffer | undefined {
  return toolOfferOf(body, { holder: (tool) => tool, holderPath: "tools[0]", schemaKey: "parameters" });
}

export function parseResponsesRequest(rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const instructions = optionalString(body, "instructions");
  const maxTokens = optionalPositiveInteger(body, "max_output_tokens");
  const prompt = promptOf(instructions === null ? inputTexts(body) : [instructions, ...inputTexts(body)]);
  const shell: ResponseShell = {
    id: newId("resp_"),
    itemId: newId("msg_"),
    createdAt: Math.floor(Date.now() / 1000),
    model,
    instructions,
    maxOutputTokens: maxTokens ?? null,
  };
  const stream = optionalBoolean(body, "stream") === true;
  const toolOffer = responsesToolOffer(body);
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens,
    leadingSpace: true,
    delivery: stream
      ? { kind: "stream", renderer: responseStream(shell) }
      : {
          kind: "whole",
          render: (text, result, extras) => JSON.stringify(responseObject(shell, outputItems(shell, text, result, extras), result)),
          reasoning: true,
        },
    ...(toolOffer ? { toolOffer } : {}),
  };
}
