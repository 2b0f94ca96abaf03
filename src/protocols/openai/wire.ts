// OpenAI-compatible wire format, shared by the client driver and the emulator: request, chunk,
// response, usage and error shapes of /v1/chat/completions and /v1/completions, plus SSE framing.

export type FinishReason = "stop" | "length" | "tool_calls";

export interface Usage {
  prompt_tokens: number;
  /** Reasoning tokens included, as OpenAI and vLLM count them. */
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** A function call in a whole response's message. */
export interface ToolCallMessage {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/**
 * A streamed tool-call delta: the first carries id, type and name (with empty arguments), the
 * following ones only pieces of the arguments string, all under the same `index`.
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface StreamOptions {
  include_usage?: boolean;
}

export type ChatContentPart = { type: "text"; text: string } | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  content: string | ChatContentPart[] | null;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: StreamOptions;
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface CompletionRequest {
  model: string;
  prompt: string | string[];
  stream?: boolean;
  stream_options?: StreamOptions;
  max_tokens?: number;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    /** `reasoning_content`: a reasoning model's thinking (vLLM's and DeepSeek's field), before the answer. */
    delta: { role?: "assistant"; content?: string; reasoning_content?: string; tool_calls?: ToolCallDelta[] };
    finish_reason: FinishReason | null;
  }>;
  /** Present only on the final usage chunk (stream_options.include_usage), whose choices are empty. */
  usage?: Usage;
}

export interface CompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; finish_reason: FinishReason | null }>;
  usage?: Usage;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: "assistant"; content: string | null; reasoning_content?: string; tool_calls?: ToolCallMessage[] };
    finish_reason: FinishReason;
  }>;
  usage: Usage;
}

export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; finish_reason: FinishReason }>;
  usage: Usage;
}

export interface ModelList {
  object: "list";
  data: Array<{ id: string; object: "model"; created: number; owned_by: string }>;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The SSE event that ends every complete OpenAI stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** Framing of one SSE `data:` event around a JSON payload. */
export const SSE_FRAMING = { before: "data: ", after: "\n\n" } as const;

export function sseEvent(payload: unknown): string {
  return SSE_FRAMING.before + JSON.stringify(payload) + SSE_FRAMING.after;
}

/**
 * Usage; with a prefix cache, `prompt_tokens_details.cached_tokens` says how many prompt tokens it
 * served; with reasoning, `completion_tokens_details.reasoning_tokens` how many completion tokens were reasoning.
 */
export function usageOf(promptTokens: number, completionTokens: number, cachedTokens?: number, reasoningTokens = 0): Usage {
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  if (reasoningTokens > 0) usage.completion_tokens_details = { reasoning_tokens: reasoningTokens };
  return usage;
}

/** Error body in OpenAI's shape; the type follows the status the way OpenAI's API reports it. */
export function openAIError(status: number, message: string): OpenAIErrorBody {
  if (status === 429) return { error: { message, type: "requests", param: null, code: "rate_limit_exceeded" } };
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  return { error: { message, type, param: null, code: null } };
}
