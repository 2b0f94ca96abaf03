// Client driver for the OpenAI Responses API: POST /v1/responses with stream:true. Each delta event
// of generated output (text, reasoning, reasoning summary, function-call arguments, refusal) is one
// token chunk; the stream ends cleanly with response.completed, or response.incomplete when
// max_output_tokens cut it short, both carrying usage. response.failed and `error` events are the
// server's errors; a stream that closes before its closing event is truncated, as a chat stream
// without [DONE] is.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { parseJsonPayload } from "../http/lines.js";
import { SseSplitter } from "../http/sse.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";
import { DELTA_EVENTS, RESPONSE_EVENTS, type ResponsesRequest, type ResponseStreamEvent } from "./responses-wire.js";

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
  const sse = new SseSplitter((data, at) => {
    if (ended) return;
    const event = parseJsonPayload<ResponseStreamEvent>(data, "SSE event");
    const type = event?.type;
    if (typeof type !== "string") throw new RequestFailure(ErrorClass.malformed, `SSE event without a type: ${data.slice(0, 80)}`);
    if (DELTA_EVENTS.has(type)) {
      if (event.delta) {
        trace.token(at);
        trace.text(event.delta);
        if (type === RESPONSE_EVENTS.outputTextDelta) trace.reply(event.delta);
      }
      return;
    }
    switch (type) {
      case RESPONSE_EVENTS.completed:
      case RESPONSE_EVENTS.incomplete: {
        ended = true;
        const usage = event.response?.usage;
        if (usage) trace.usage(usage.input_tokens ?? null, usage.output_tokens ?? null, options.exactTokens);
        return;
      }
      case RESPONSE_EVENTS.failed:
      case RESPONSE_EVENTS.error:
        throw failureOf(event);
    }
  }, options.maxLineBytes);
  return endMarkedDecoder(sse, () => ended, RESPONSE_EVENTS.completed);
}

function requestBody(spec: RequestSpec, options: DriverOptions): ResponsesRequest {
  const body: ResponsesRequest = { model: options.model, input: spec.messages ?? spec.prompt, stream: true };
  if (spec.maxTokens !== null) body.max_output_tokens = spec.maxTokens;
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
