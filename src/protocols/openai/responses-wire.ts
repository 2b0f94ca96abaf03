// OpenAI Responses API wire format (POST /v1/responses), shared by the client driver and the
// emulator: the request, the response object, usage, and the typed SSE events of a streamed
// response. Each event goes out as `event: <type>` plus `data: <json>` whose `type` repeats it.

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** One input item: a message whose content is a string or a list of parts; other item types carry their own fields. */
export interface ResponseInputMessage {
  type?: "message";
  /** user, assistant, system or developer. */
  role: string;
  content: string | Array<{ type: string; text?: string }>;
}

/** An agent's earlier call to a function tool, sent back as an input item. */
export interface FunctionCallInput {
  type: "function_call";
  call_id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

/** The result of a function call (`call_id`), sent back as an input item. */
export interface FunctionCallOutputInput {
  type: "function_call_output";
  call_id: string;
  output: string;
}

export type ResponseInputItem = ResponseInputMessage | FunctionCallInput | FunctionCallOutputInput;

export interface ResponsesRequest {
  model: string;
  input: string | ResponseInputItem[];
  instructions?: string;
  max_output_tokens?: number;
  stream?: boolean;
  tools?: Array<{ type: "function"; name: string; description?: string; parameters?: Record<string, unknown> }>;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface OutputMessage {
  type: "message";
  id: string;
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: OutputText[];
}

/** Reasoning the model did before its answer, as raw reasoning text (vLLM's shape for open models). */
export interface ReasoningItem {
  type: "reasoning";
  id: string;
  summary: Array<{ type: "summary_text"; text: string }>;
  content: Array<{ type: "reasoning_text"; text: string }>;
  status?: "in_progress" | "completed" | "incomplete";
}

/** A function call made instead of an answer; its arguments are JSON text. */
export interface FunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: "in_progress" | "completed" | "incomplete";
}

export type OutputItem = ReasoningItem | OutputMessage | FunctionCallItem;

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  temperature: number;
  top_p: number;
  tool_choice: "auto";
  tools: unknown[];
  text: { format: { type: "text" } };
  truncation: "disabled";
  usage: ResponsesUsage | null;
  metadata: Record<string, string>;
}

/** The event types a client reads; every other type (annotations, web search...) is passed over. */
export const RESPONSE_EVENTS = {
  created: "response.created",
  inProgress: "response.in_progress",
  outputItemAdded: "response.output_item.added",
  contentPartAdded: "response.content_part.added",
  outputTextDelta: "response.output_text.delta",
  outputTextDone: "response.output_text.done",
  contentPartDone: "response.content_part.done",
  outputItemDone: "response.output_item.done",
  reasoningSummaryTextDelta: "response.reasoning_summary_text.delta",
  reasoningTextDelta: "response.reasoning_text.delta",
  reasoningTextDone: "response.reasoning_text.done",
  functionCallArgumentsDelta: "response.function_call_arguments.delta",
  functionCallArgumentsDone: "response.function_call_arguments.done",
  refusalDelta: "response.refusal.delta",
  completed: "response.completed",
  /** The response ended early but cleanly: max_output_tokens reached (a length-limited stream). */
  incomplete: "response.incomplete",
  failed: "response.failed",
  error: "error",
} as const;

/** Events whose `delta` is generated output: each one is a token chunk. */
export const DELTA_EVENTS: ReadonlySet<string> = new Set([
  RESPONSE_EVENTS.outputTextDelta,
  RESPONSE_EVENTS.reasoningSummaryTextDelta,
  RESPONSE_EVENTS.reasoningTextDelta,
  RESPONSE_EVENTS.functionCallArgumentsDelta,
  RESPONSE_EVENTS.refusalDelta,
]);

/** Delta events that carry reasoning rather than the answer (the time to first content waits for the answer). */
export const REASONING_DELTA_EVENTS: ReadonlySet<string> = new Set([RESPONSE_EVENTS.reasoningSummaryTextDelta, RESPONSE_EVENTS.reasoningTextDelta]);

/** Any streamed event, as far as the client reads it. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number?: number;
  delta?: string;
  /** output_item.added / done: the item (a function_call item opens a tool call). */
  item?: { type?: string; call_id?: string; name?: string };
  response?: Partial<ResponseObject>;
  /** `error` events carry their code and message at the top level. */
  code?: string | null;
  message?: string;
}

/** Framing of one typed SSE event; `data` is the event's JSON. */
export function responsesSseEvent(type: string, payload: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * `cachedTokens`: the prompt tokens the emulator's prefix cache served (0 without one);
 * `reasoningTokens`: the part of the output that was reasoning.
 */
export function responsesUsageOf(inputTokens: number, outputTokens: number, cachedTokens = 0, reasoningTokens = 0): ResponsesUsage {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + outputTokens,
  };
}
