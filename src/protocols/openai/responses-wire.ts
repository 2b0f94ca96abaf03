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

export interface ResponsesRequest {
  model: string;
  input: string | ResponseInputMessage[];
  instructions?: string;
  max_output_tokens?: number;
  stream?: boolean;
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
  output: OutputMessage[];
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
  functionCallArgumentsDelta: "response.function_call_arguments.delta",
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

/** Any streamed event, as far as the client reads it. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number?: number;
  delta?: string;
  response?: Partial<ResponseObject>;
  /** `error` events carry their code and message at the top level. */
  code?: string | null;
  message?: string;
}

/** Framing of one typed SSE event; `data` is the event's JSON. */
export function responsesSseEvent(type: string, payload: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** `cachedTokens`: the prompt tokens the emulator's prefix cache served (0 without one). */
export function responsesUsageOf(inputTokens: number, outputTokens: number, cachedTokens = 0): ResponsesUsage {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}
