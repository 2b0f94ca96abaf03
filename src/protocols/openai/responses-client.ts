// Client driver for the OpenAI Responses API: POST /v1/responses with stream:true. Each delta event
// of generated output (text, reasoning, reasoning summary, function-call arguments, refusal) is one
// token chunk, and so is a function_call item's opening; reasoning deltas are told from the answer
// (the time to first content waits for the answer). The stream ends cleanly with
// response.completed, or response.incomplete when max_output_tokens cut it short, both carrying
// usage. response.failed and `error` events are the server's errors; a stream that closes before its
// closing event is truncated, as a chat stream without [DONE] is.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { parseJsonPayload } from "../http/lines.js";
import { SseSplitter } from "../http/sse.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { ChatMessage, DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";
import { DELTA_EVENTS, REASONING_DELTA_EVENTS, RESPONSE_EVENTS, type ResponseInputItem, type ResponsesRequest, type ResponseStreamEvent } from "./responses-wire.js";

function failureOf(event: ResponseStreamEvent): RequestFailure {
  if (event.type === RESPONSE_EVENTS.failed) {
    const error = event.response?.error;
    const message = error ? `${error.code}: ${error.message}` : "response.failed without an error";
    return new RequestFailure(ErrorClass.serverError, `response.failed: ${message}`);
  }
  const code = event.code ? `${event.code}: ` : "";
  return new RequestFailure(ErrorClass.serverError, `error event: ${code}${event.message ?? "no message"}`);
}

function responsesDecoder(trace: RequestTrace, options: DriverOptions): StreamDecoder {
  let ended = false;
  /** Function calls opened so far. */
  let calls = 0;
  trace.tellsKinds();
  const sse = new SseSplitter((data, at) => {
    if (ended) return;
    const event = parseJsonPayload<ResponseStreamEvent>(data, "SSE event");
    const type = event?.type;
    if (typeof type !== "string") throw new RequestFailure(ErrorClass.malformed, `SSE event without a type: ${data.slice(0, 80)}`);
    if (DELTA_EVENTS.has(type)) {
      if (event.delta) {
        if (REASONING_DELTA_EVENTS.has(type)) trace.reasoning(at);
        else trace.answer(at);
        trace.text(event.delta);
        if (type === RESPONSE_EVENTS.outputTextDelta) trace.reply(event.delta);
        // Function calls stream one after the other: the arguments belong to the last one opened.
        else if (type === RESPONSE_EVENTS.functionCallArgumentsDelta && calls > 0) trace.replyToolCall(calls - 1, undefined, undefined, event.delta);
      }
      return;
    }
    switch (type) {
      case RESPONSE_EVENTS.outputItemAdded:
        // A function_call item opening is the tool call's first answer token (its id and name), as
        // the opening delta of a chat tool call is.
        if (event.item?.type === "function_call") {
          trace.toolCallsStarted(1);
          trace.answer(at);
          trace.replyToolCall(calls++, event.item.call_id, event.item.name, "");
        }
        return;
      case RESPONSE_EVENTS.completed:
      case RESPONSE_EVENTS.incomplete: {
        ended = true;
        const usage = event.response?.usage;
        if (usage) {
          trace.usage(usage.input_tokens ?? null, usage.output_tokens ?? null, options.exactTokens);
          const reasoningTokens = usage.output_tokens_details?.reasoning_tokens;
          if (typeof reasoningTokens === "number") trace.usageReasoning(reasoningTokens);
        }
        return;
      }
      case RESPONSE_EVENTS.failed:
      case RESPONSE_EVENTS.error:
        throw failureOf(event);
    }
  }, options.maxLineBytes);
  return endMarkedDecoder(sse, () => ended, RESPONSE_EVENTS.completed);
}

/**
 * A conversation as input items: messages as they are, an agent's tool calls as `function_call`
 * items (after the assistant's text, if any) and their results as `function_call_output` items.
 */
function inputItems(messages: ChatMessage[]): ResponsesRequest["input"] {
  return messages.flatMap(({ role, content, toolCalls, toolCallId }): ResponseInputItem[] => {
    if (toolCalls) {
      const calls = toolCalls.map(({ id, name, arguments: args }) => ({ type: "function_call" as const, call_id: id, name, arguments: args }));
      return content === "" ? calls : [{ role, content }, ...calls];
    }
    return toolCallId === undefined ? [{ role, content }] : [{ type: "function_call_output", call_id: toolCallId, output: content }];
  });
}

function requestBody(spec: RequestSpec, options: DriverOptions): ResponsesRequest {
  const body: ResponsesRequest = { model: options.model, input: spec.messages ? inputItems(spec.messages) : spec.prompt, stream: true };
  if (spec.maxTokens !== null) body.max_output_tokens = spec.maxTokens;
  // The Responses API's function tools are flat: {type, name, description, parameters}.
  if (spec.tools) body.tools = spec.tools.map(({ function: fn }) => ({ type: "function", ...fn }));
  return body;
}

export const responsesProtocol: HttpStreamProtocol = {
  path: "/v1/responses",
  accept: "text/event-stream",
  body: requestBody,
  decoder: (trace, _spec, options) => responsesDecoder(trace, options),
};

export const openAiResponses: ProtocolDefinition = {
  name: "openai-responses",
  description: "OpenAI Responses API POST /v1/responses, typed SSE events",
  create: (options) => new HttpStreamDriver(responsesProtocol, options),
};
