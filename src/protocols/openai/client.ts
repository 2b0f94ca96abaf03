// Client drivers for OpenAI-compatible streaming: /v1/chat/completions and /v1/completions with
// stream:true. Each SSE event with content, reasoning (`reasoning_content` / `reasoning`) or tool-call
// deltas is one token chunk (TTFT is the first of any kind); content and tool calls are the answer
// (its first token is TTFC), reasoning is counted apart, as are the tool calls opened. The stream
// must end with [DONE]; usage comes from the include_usage chunk when the server sends it.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { parseJsonPayload } from "../http/lines.js";
import { PayloadTemplate } from "../http/payload-template.js";
import { SseSplitter } from "../http/sse.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { ChatMessage, DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";

interface StreamEvent {
  error?: { message?: string } | string;
  choices?: Array<{
    text?: string | null;
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: Array<{ index?: number; id?: string | null; function?: { name?: string | null; arguments?: string | null } }> };
  }>;
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
}

type Field = "content" | "text";

/** Fold one parsed event's token, if it carries one, into the trace: answer, reasoning, tool calls. */
function recordToken(trace: RequestTrace, event: StreamEvent, field: Field, at: number): void {
  const choice = event.choices?.[0];
  if (!choice) return;
  if (field === "text") {
    if (choice.text) trace.answer(at);
    return;
  }
  const delta = choice.delta;
  if (!delta) return;
  const toolCalls = delta.tool_calls;
  let opened = 0;
  if (toolCalls) for (const call of toolCalls) if (typeof call?.id === "string" && call.id !== "") opened++;
  if (opened > 0) trace.toolCallsStarted(opened);
  // A chunk holding both reasoning and answer is an answer token: the answer has begun.
  if (delta.content || toolCalls?.length) trace.answer(at);
  else if (delta.reasoning_content || delta.reasoning) trace.reasoning(at);
}

/** The plain text of the chunk's `key` (content, text, reasoning_content), when that is all the chunk carries. */
function plainString(event: StreamEvent, key: Field | "reasoning_content"): string | undefined {
  if (event.usage || event.error) return undefined;
  const choice = event.choices?.[0];
  if (!choice || event.choices!.length !== 1) return undefined;
  const value = key === "text" ? choice.text : choice.delta?.[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** The answer text of a chunk (content or completion text; no reasoning, no tool-call arguments). */
function answerOf(event: StreamEvent, field: Field): string {
  const choice = event.choices?.[0];
  if (!choice) return "";
  return (field === "text" ? choice.text : choice.delta?.content) ?? "";
}

/** The generated text of a chunk (answer and reasoning; tool-call deltas carry no text to count). */
function textOf(event: StreamEvent): string {
  const choice = event.choices?.[0];
  if (!choice) return "";
  return choice.text ?? `${choice.delta?.reasoning_content ?? choice.delta?.reasoning ?? ""}${choice.delta?.content ?? ""}`;
}

function openAiDecoder(trace: RequestTrace, options: DriverOptions, field: Field): StreamDecoder {
  let done = false;
  trace.tellsKinds();
  // Only a run with a tokenizer keeps the text; the decision is made once, off the per-token path.
  const keepText = trace.receivedText !== null;
  // A conversation's turn keeps its answer to send back in the next turn.
  const keepReply = trace.replyText !== null;
  // Fast paths for the two shapes a stream repeats: answer chunks, and (chat) reasoning chunks.
  const answer = new PayloadTemplate(`"${field}":"`);
  const reasoning = field === "content" ? new PayloadTemplate(`"reasoning_content":"`) : null;
  const sse = new SseSplitter((data, at) => {
    if (done) return;
    const fast = answer.match(data);
    if (fast !== undefined) {
      if (fast.length > 0) trace.answerText(at, fast);
      return;
    }
    const fastReasoning = reasoning?.match(data);
    if (fastReasoning !== undefined) {
      if (fastReasoning.length > 0) {
        trace.reasoning(at);
        if (keepText) trace.text(fastReasoning);
      }
      return;
    }
    if (data === "[DONE]") {
      done = true;
      return;
    }
    const event = parseJsonPayload<StreamEvent>(data, "SSE event");
    const plain = plainString(event, field);
    if (plain !== undefined) answer.learn(data, plain);
    else if (reasoning) {
      const plainReasoning = plainString(event, "reasoning_content");
      if (plainReasoning !== undefined) reasoning.learn(data, plainReasoning);
    }
    if (event.error) {
      const message = typeof event.error === "string" ? event.error : event.error.message ?? "error event";
      throw new RequestFailure(ErrorClass.serverError, message);
    }
    recordToken(trace, event, field, at);
    if (keepText) trace.text(textOf(event));
    if (keepReply) {
      trace.reply(answerOf(event, field));
      const calls = event.choices?.[0]?.delta?.tool_calls;
      if (calls) calls.forEach((call, i) => trace.replyToolCall(call.index ?? i, call.id ?? undefined, call.function?.name ?? undefined, call.function?.arguments ?? ""));
    }
    const usage = event.usage;
    if (usage) {
      trace.usage(usage.prompt_tokens ?? null, usage.completion_tokens ?? null, options.exactTokens);
      const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
      if (typeof reasoningTokens === "number") trace.usageReasoning(reasoningTokens);
    }
  }, options.maxLineBytes);
  return endMarkedDecoder(sse, () => done, "[DONE]");
}

function commonBody(spec: RequestSpec, options: DriverOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: options.model, stream: true };
  if (spec.maxTokens !== null) body.max_tokens = spec.maxTokens;
  if (spec.ignoreEos === true && spec.maxTokens !== null) {
    body.min_tokens = spec.maxTokens;
    body.ignore_eos = true;
  }
  if (options.includeUsage) body.stream_options = { include_usage: true };
  return body;
}

/** A conversation's message on the wire: an agent's tool calls as `tool_calls`, their results with `tool_call_id`. */
function chatWireMessage(message: ChatMessage): Record<string, unknown> {
  const { role, content, toolCalls, toolCallId } = message;
  if (toolCalls) {
    const tool_calls = toolCalls.map(({ id, name, arguments: args }) => ({ id, type: "function", function: { name, arguments: args } }));
    return { role, content: content === "" ? null : content, tool_calls };
  }
  return toolCallId === undefined ? { role, content } : { role, tool_call_id: toolCallId, content };
}

export const chatProtocol: HttpStreamProtocol = {
  path: "/v1/chat/completions",
  accept: "text/event-stream",
  body: (spec, options) => ({
    ...commonBody(spec, options),
    messages: spec.messages ? spec.messages.map(chatWireMessage) : [{ role: "user", content: spec.prompt }],
    ...(spec.tools ? { tools: spec.tools } : {}),
  }),
  decoder: (trace, _spec, options) => openAiDecoder(trace, options, "content"),
};

export const completionsProtocol: HttpStreamProtocol = {
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
