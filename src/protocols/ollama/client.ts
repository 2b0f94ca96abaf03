// Client drivers for Ollama's native streaming API: POST /api/generate and /api/chat, NDJSON lines,
// ending with a `done:true` object that carries eval counts (used as the usage figure).
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { LineSplitter, parseJsonPayload } from "../http/lines.js";
import { endMarkedDecoder, HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { ChatMessage, DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";

interface OllamaLine {
  error?: string;
  done?: boolean;
  response?: string;
  message?: { content?: string; thinking?: string; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: unknown } }> };
  thinking?: string;
  eval_count?: number;
  prompt_eval_count?: number;
}

/**
 * Reads the NDJSON lines, telling thinking, answer and tool calls apart: `thinking` pieces are
 * reasoning tokens, `response` / `message.content` pieces and tool calls answer tokens. Ollama sends
 * a tool call whole, in one chunk standing for all of the call's tokens; a response with one has
 * fewer chunks than its eval_count, which is then not read as token loss.
 */
function ollamaDecoder(trace: RequestTrace, options: DriverOptions): StreamDecoder {
  let done = false;
  /** Tool calls received so far. */
  let calledTools = 0;
  // Only a run with a tokenizer keeps the text; a conversation's turn keeps its answer (not the thinking).
  const keepText = trace.receivedText !== null;
  trace.tellsKinds();
  const lines = new LineSplitter((text, at) => {
    if (done) return;
    const line = parseJsonPayload<OllamaLine>(text, "NDJSON line");
    if (line.error) throw new RequestFailure(ErrorClass.serverError, line.error);
    const message = line.message;
    const answer = line.response || message?.content;
    const thinking = line.thinking || message?.thinking;
    const calls = message?.tool_calls;
    if (answer) {
      trace.answer(at);
      if (keepText) trace.text(answer);
      trace.reply(answer);
    } else if (calls?.length) {
      trace.toolCallsStarted(calls.length);
      trace.answer(at);
      // Ollama's calls have no id: a conversation names them itself (unique in the run) to pair each with its result.
      for (const call of calls) {
        trace.replyToolCall(calledTools, call.id ?? `call_${trace.id}_${calledTools}`, call.function?.name, JSON.stringify(call.function?.arguments ?? {}));
        calledTools++;
      }
    } else if (thinking) {
      trace.reasoning(at);
      if (keepText) trace.text(thinking);
    }
    if (line.done) {
      done = true;
      trace.usage(line.prompt_eval_count ?? null, line.eval_count ?? null, options.exactTokens && calledTools === 0);
    }
  }, options.maxLineBytes);
  return endMarkedDecoder(lines, () => done, "done:true");
}

function commonBody(spec: RequestSpec, options: DriverOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: options.model, stream: true };
  if (spec.maxTokens !== null) body.options = { num_predict: spec.maxTokens };
  return body;
}

export const generateProtocol: HttpStreamProtocol = {
  path: "/api/generate",
  accept: "application/x-ndjson",
  body: (spec, options) => ({ ...commonBody(spec, options), prompt: spec.prompt }),
  decoder: (trace, _spec, options) => ollamaDecoder(trace, options),
};

/**
 * A conversation's messages as Ollama takes them: an agent's tool calls with their arguments as an
 * object (no id), a tool's result with the name of the tool it answers (`tool_name`).
 */
function ollamaMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  const toolNames = new Map<string, string>();
  return messages.map(({ role, content, toolCalls, toolCallId }) => {
    if (toolCalls) {
      for (const call of toolCalls) toolNames.set(call.id, call.name);
      return { role, content, tool_calls: toolCalls.map((call) => ({ function: { name: call.name, arguments: JSON.parse(call.arguments) as unknown } })) };
    }
    if (toolCallId === undefined) return { role, content };
    const name = toolNames.get(toolCallId);
    return name === undefined ? { role, content } : { role, content, tool_name: name };
  });
}

export const chatProtocol: HttpStreamProtocol = {
  path: "/api/chat",
  accept: "application/x-ndjson",
  // Ollama's /api/chat takes tools in OpenAI's chat shape.
  body: (spec, options) => ({
    ...commonBody(spec, options),
    messages: spec.messages ? ollamaMessages(spec.messages) : [{ role: "user", content: spec.prompt }],
    ...(spec.tools ? { tools: spec.tools } : {}),
  }),
  decoder: (trace, _spec, options) => ollamaDecoder(trace, options),
};

export const ollamaGenerate: ProtocolDefinition = {
  name: "ollama-generate",
  description: "Ollama POST /api/generate, NDJSON stream ending in done:true",
  create: (options) => new HttpStreamDriver(generateProtocol, options),
};

export const ollamaChat: ProtocolDefinition = {
  name: "ollama-chat",
  description: "Ollama POST /api/chat, NDJSON stream ending in done:true",
  create: (options) => new HttpStreamDriver(chatProtocol, options),
};
