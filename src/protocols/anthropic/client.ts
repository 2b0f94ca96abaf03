// Client driver for Anthropic's Messages API: POST /v1/messages with stream:true. Every non-empty
// content_block_delta (text, thinking or tool-input JSON) is one token chunk, and so is a tool_use
// block's opening; thinking is told from the answer (the time to first content waits for the
// answer). Input tokens come with message_start, output tokens with message_delta; the stream must
// end with message_stop. An `error` event fails the request: `overloaded` for overloaded_error,
// else server_error.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { parseJsonPayload } from "../http/lines.js";
import { PayloadTemplate } from "../http/payload-template.js";
import { SseSplitter } from "../http/sse.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { ChatMessage, DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";
import { ANTHROPIC_VERSION, type MessageParam, type MessagesRequest } from "./wire.js";

/**
 * The API requires max_tokens; a request that leaves the length to the server (no --length, no
 * per-entry max_tokens in the dataset) asks for this much.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** What the decoder reads of any event; every field optional, as a server may send less. */
interface StreamEvent {
  type?: string;
  message?: { usage?: { input_tokens?: number | null } };
  delta?: { type?: string; text?: string; thinking?: string; partial_json?: string };
  content_block?: { type?: string; id?: string; name?: string };
  usage?: { input_tokens?: number | null; output_tokens?: number | null };
  error?: { type?: string; message?: string };
}

/** The streamed piece a delta carries; signature and citation deltas carry none. */
function deltaPiece(delta: StreamEvent["delta"]): string | undefined {
  switch (delta?.type) {
    case "text_delta":
      return delta.text;
    case "thinking_delta":
      return delta.thinking;
    case "input_json_delta":
      return delta.partial_json;
    default:
      return undefined;
  }
}

function errorEventFailure(event: StreamEvent): RequestFailure {
  const type = event.error?.type ?? "error";
  const message = `${type}: ${event.error?.message ?? "error event"}`;
  return new RequestFailure(type === "overloaded_error" ? ErrorClass.overloaded : ErrorClass.serverError, message);
}

function messagesDecoder(trace: RequestTrace, options: DriverOptions): StreamDecoder {
  let stopped = false;
  let inputTokens: number | null = null;
  /** tool_use blocks opened so far. */
  let calls = 0;
  // Text deltas of one block differ only in their text: read them without JSON.parse.
  const template = new PayloadTemplate(`"text":"`);
  // Only a run with a tokenizer keeps the text; decided once, off the per-token path.
  const keepText = trace.receivedText !== null;
  trace.tellsKinds();
  // A conversation's turn keeps its answer to send back in the next turn.
  const keepReply = trace.replyText !== null;
  const sse = new SseSplitter((data, at) => {
    if (stopped) return;
    const fast = template.match(data);
    if (fast !== undefined) {
      if (fast.length > 0) trace.answerText(at, fast);
      return;
    }
    const event = parseJsonPayload<StreamEvent | null>(data, "SSE event");
    switch (event?.type) {
      case "content_block_delta": {
        const piece = deltaPiece(event.delta);
        if (event.delta?.type === "text_delta" && piece !== undefined) template.learn(data, piece);
        if (piece) {
          if (event.delta?.type === "thinking_delta") trace.reasoning(at);
          else trace.answer(at);
          if (keepText) trace.text(piece);
          if (keepReply && event.delta?.type === "text_delta") trace.reply(piece);
          // Blocks stream one after the other: the input belongs to the last tool_use opened.
          if (keepReply && event.delta?.type === "input_json_delta" && calls > 0) trace.replyToolCall(calls - 1, undefined, undefined, piece);
        }
        return;
      }
      case "content_block_start":
        // A tool_use block opening is the tool call's first answer token (its id and name).
        if (event.content_block?.type === "tool_use") {
          trace.toolCallsStarted(1);
          trace.answer(at);
          trace.replyToolCall(calls++, event.content_block.id, event.content_block.name, "");
        }
        return;
      case "message_start":
        inputTokens = event.message?.usage?.input_tokens ?? null;
        trace.usage(inputTokens, null, options.exactTokens);
        return;
      case "message_delta":
        // Its usage is cumulative; input_tokens, when present, is the whole message's.
        trace.usage(event.usage?.input_tokens ?? inputTokens, event.usage?.output_tokens ?? null, options.exactTokens);
        return;
      case "message_stop":
        stopped = true;
        return;
      case "error":
        throw errorEventFailure(event);
      default:
        // ping, content_block_stop, and event types the API may add later.
        return;
    }
  }, options.maxLineBytes);
  return endMarkedDecoder(sse, () => stopped, "message_stop");
}

/**
 * The conversation in the API's shape: an agent's tool calls are `tool_use` blocks of the assistant's
 * message (after its text, if any), and their results `tool_result` blocks of the user message that
 * follows (consecutive results in one message, as the API wants them).
 */
function messagesOf(conversation: ChatMessage[]): MessageParam[] {
  const messages: MessageParam[] = [];
  for (const { role, content, toolCalls, toolCallId } of conversation) {
    if (role === "system") continue;
    if (toolCalls) {
      const uses = toolCalls.map(({ id, name, arguments: args }) => ({ type: "tool_use", id, name, input: JSON.parse(args) as unknown }));
      messages.push({ role: "assistant", content: content === "" ? uses : [{ type: "text", text: content }, ...uses] });
      continue;
    }
    if (toolCallId === undefined) {
      messages.push({ role, content } as MessageParam);
      continue;
    }
    const result = { type: "tool_result", tool_use_id: toolCallId, content };
    const last = messages.at(-1);
    if (last?.role === "user" && Array.isArray(last.content) && last.content.every((block) => block.type === "tool_result")) last.content.push(result);
    else messages.push({ role: "user", content: [result] });
  }
  return messages;
}

/** The API takes the system prompt apart from the conversation, whose roles are user and assistant. */
function requestBody(spec: RequestSpec, options: DriverOptions): MessagesRequest {
  const conversation = spec.messages ?? [{ role: "user", content: spec.prompt }];
  const system = conversation.filter((message) => message.role === "system").map((message) => message.content);
  const body: MessagesRequest = {
    model: options.model,
    max_tokens: spec.maxTokens ?? DEFAULT_MAX_TOKENS,
    stream: true,
    messages: messagesOf(conversation),
  };
  if (system.length > 0) body.system = system.join("\n");
  // Anthropic's tools carry their JSON schema as input_schema.
  if (spec.tools) {
    body.tools = spec.tools.map(({ function: fn }) => ({
      name: fn.name,
      ...(fn.description !== undefined ? { description: fn.description } : {}),
      input_schema: fn.parameters ?? { type: "object", properties: {} },
    }));
  }
  return body;
}

export const messagesProtocol: HttpStreamProtocol = {
  path: "/v1/messages",
  accept: "text/event-stream",
  headers: { "anthropic-version": ANTHROPIC_VERSION },
  body: requestBody,
  decoder: (trace, _spec, options) => messagesDecoder(trace, options),
};

export const anthropicMessages: ProtocolDefinition = {
  name: "anthropic-messages",
  description: "Anthropic Messages API POST /v1/messages, SSE events",
  create: (options) => new HttpStreamDriver(messagesProtocol, options),
};
