// Client drivers for OpenAI-compatible streaming: /v1/chat/completions and /v1/completions with
// stream:true. Each SSE event with content (or reasoning / tool-call deltas) is one token chunk;
// the stream must end with [DONE]; usage comes from the include_usage chunk when the server sends it.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { parseJsonPayload } from "../http/lines.js";
import { PayloadTemplate } from "../http/payload-template.js";
import { SseSplitter } from "../http/sse.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";

interface StreamEvent {
  error?: { message?: string } | string;
  choices?: Array<{
    text?: string | null;
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: unknown[] };
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function hasContent(event: StreamEvent): boolean {
  const choice = event.choices?.[0];
  if (!choice) return false;
  if (choice.text) return true;
  const delta = choice.delta;
  if (!delta) return false;
  return Boolean(delta.content || delta.reasoning_content || delta.reasoning || delta.tool_calls?.length);
}

/** The plain text of the chunk's content, when that is all the chunk carries. */
function plainContent(event: StreamEvent, field: "content" | "text"): string | undefined {
  if (event.usage || event.error) return undefined;
  const choice = event.choices?.[0];
  if (!choice || event.choices!.length !== 1) return undefined;
  const value = field === "text" ? choice.text : choice.delta?.content;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function openAiDecoder(trace: RequestTrace, options: DriverOptions, field: "content" | "text"): StreamDecoder {
  let done = false;
  const template = new PayloadTemplate(`"${field}":"`);
  const sse = new SseSplitter((data, at) => {
    if (done) return;
    const fast = template.match(data);
    if (fast !== undefined) {
      if (fast.length > 0) trace.token(at);
      return;
    }
    if (data === "[DONE]") {
      done = true;
      return;
    }
    const event = parseJsonPayload<StreamEvent>(data, "SSE event");
    const plain = plainContent(event, field);
    if (plain !== undefined) template.learn(data, plain);
    if (event.error) {
      const message = typeof event.error === "string" ? event.error : event.error.message ?? "error event";
      throw new RequestFailure(ErrorClass.serverError, message);
    }
    if (hasContent(event)) trace.token(at);
    if (event.usage) trace.usage(event.usage.prompt_tokens ?? null, event.usage.completion_tokens ?? null, options.exactTokens);
  });
  return endMarkedDecoder(sse, () => done, "[DONE]");
}

function commonBody(spec: RequestSpec, options: DriverOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: options.model, stream: true };
  if (spec.maxTokens !== null) body.max_tokens = spec.maxTokens;
  if (options.includeUsage) body.stream_options = { include_usage: true };
  return body;
}

const chatProtocol: HttpStreamProtocol = {
  path: "/v1/chat/completions",
  accept: "text/event-stream",
  body: (spec, options) => ({ ...commonBody(spec, options), messages: spec.messages ?? [{ role: "user", content: spec.prompt }] }),
  decoder: (trace, _spec, options) => openAiDecoder(trace, options, "content"),
};

const completionsProtocol: HttpStreamProtocol = {
  path: "/v1/completions",
  accept: "text/event-stream",
  body: (spec, options) => ({ ...commonBody(spec, options), prompt: spec.prompt }),
  decoder: (trace, _spec, options) => openAiDecoder(trace, options, "text"),
};

export const openAiChat: ProtocolDefinition = {
  name: "openai-chat",
  description: "OpenAI-compatible POST /v1/chat/completions, SSE stream",
  create: (options) => new HttpStreamDriver(chatProtocol, options),
};

export const openAiCompletions: ProtocolDefinition = {
  name: "openai-completions",
  description: "OpenAI-compatible POST /v1/completions, SSE stream",
  create: (options) => new HttpStreamDriver(completionsProtocol, options),
};
