// Anthropic Messages API wire format, shared by the client driver and the emulator: the request,
// the streamed events (named SSE events whose JSON repeats the name in `type`), the whole `message`
// object, and the error body `{type:"error", error:{type, message}}` with its types by HTTP status.

/** The API version the driver asks for (the `anthropic-version` header). */
export const ANTHROPIC_VERSION = "2023-06-01";

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface MessageParam {
  role: "user" | "assistant";
  content: string | Array<{ type: string; text?: string; [key: string]: unknown }>;
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | Array<{ type: "text"; text: string }>;
  stream?: boolean;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export type ContentBlock = { type: "text"; text: string } | { type: "thinking"; thinking: string; signature: string } | { type: "tool_use"; id: string; name: string; input: unknown };

export interface Message {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

export type ContentDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "signature_delta"; signature: string };

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

export interface ErrorBody {
  type: "error";
  error: { type: ErrorType | (string & {}); message: string };
}

export type StreamEvent =
  | { type: "message_start"; message: Message }
  | { type: "content_block_start"; index: number; content_block: ContentBlock }
  | { type: "content_block_delta"; index: number; delta: ContentDelta }
  | { type: "content_block_stop"; index: number }
  | { type: "message_delta"; delta: { stop_reason: StopReason | null; stop_sequence: string | null }; usage: { output_tokens: number; input_tokens?: number | null } }
  | { type: "message_stop" }
  | { type: "ping" }
  | ErrorBody;

/** SSE framing of one event: the SDK dispatches on the `event:` line, so it is never left out. */
export function sseFraming(type: StreamEvent["type"]): { before: string; after: string } {
  return { before: `event: ${type}\ndata: `, after: "\n\n" };
}

export function sseEvent(event: StreamEvent): string {
  const { before, after } = sseFraming(event.type);
  return before + JSON.stringify(event) + after;
}

/** The error type Anthropic's API reports with each HTTP status (529: overloaded). */
export function errorTypeOf(status: number): ErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

export function anthropicError(status: number, message: string): ErrorBody {
  return { type: "error", error: { type: errorTypeOf(status), message } };
}
