// The contract between the emulator core and each protocol: a protocol turns a request body into a
// GenerationRequest (what to generate and how to frame it); the core decides failures, admission
// and timing, and calls the renderer for the bytes.

export type FinishReason = "stop" | "length" | "tool_calls";

/** Monotonic instants of one generation, in ms (nowMs()). */
export interface GenerationTiming {
  receivedAtMs: number;
  admittedAtMs: number;
  firstTokenAtMs: number;
  endedAtMs: number;
}

export interface GenerationResult {
  promptTokens: number;
  /** Prompt tokens served from the prefix cache; undefined when the emulator has no prefix cache. */
  cachedTokens?: number;
  /** Every token generated: the reasoning tokens, then the answer's (content, or the tool call's). */
  completionTokens: number;
  /** The part of completionTokens that was reasoning (0 when the request had none). */
  reasoningTokens: number;
  finishReason: FinishReason;
  timing: GenerationTiming;
}

/**
 * A function call the emulator makes instead of answering. It streams as one opening token (id and
 * name, empty arguments), then one token per piece of its arguments JSON.
 */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments object as JSON, in the pieces it streams in; joined, they parse. */
  argumentPieces: string[];
}

/** A tool a request offered (the first of its `tools`): what a tool call made to it looks like. */
export interface ToolOffer {
  name: string;
  /** The properties of its parameters schema, in order: the keys of the call's arguments. */
  argumentNames: string[];
}

export interface StreamRenderer {
  contentType: string;
  /** The frame carrying token `index` (0-based) whose text is `piece`. */
  token(index: number, piece: string): string;
  /**
   * Optional: the frame carrying reasoning token `index` (0-based) whose text is `piece`. Reasoning
   * streams before the answer; an endpoint whose renderer lacks this method gets none.
   */
  reasoning?(index: number, piece: string): string;
  /**
   * Optional: the frames of a tool call made instead of the answer: `start` carries its id and name,
   * `arguments` argument piece `index`. Required of a renderer whose request carries a ToolOffer.
   */
  toolCall?: {
    start(call: ToolCall): string;
    arguments(index: number, piece: string): string;
  };
  /** Frames after the last token (finish chunk, usage, [DONE] / done:true); "" when the protocol has none. */
  end(result: GenerationResult): string;
}

/** What a non-streamed response carries besides its text. */
export interface WholeExtras {
  /** The reasoning text, when the request had reasoning (only for a delivery that takes it). */
  reasoning?: string;
  /** The tool call made instead of the answer (the text is then empty). */
  toolCall?: ToolCall;
}

/** The JSON body of a non-streamed response. */
export type WholeRenderer = (text: string, result: GenerationResult, extras: WholeExtras) => string;

export type Delivery =
  | { kind: "stream"; renderer: StreamRenderer }
  /** `reasoning`: the body has a place for reasoning text (without it, the request gets none). */
  | { kind: "whole"; render: WholeRenderer; reasoning?: boolean };

export interface GenerationRequest {
  /** The prompt's texts as sent: what --tokenizer counts, each on its own (text.ts, Prompt). */
  promptTexts: readonly string[];
  /** The prompt's words: its tokens without --tokenizer, and the text echo mode repeats. */
  promptWords: string[];
  /**
   * The prompt's size is set by the protocol (embeddings: its inputs' tokens), not counted by the
   * emulator's --tokenizer.
   */
  fixedPromptTokens?: boolean;
  /**
   * Told the prompt's token count when --tokenizer counted it, before any frame is rendered: a
   * protocol whose opening frame carries it (Anthropic's message_start) sets it there.
   */
  promptCounted?(tokens: number): void;
  /** max_tokens / num_predict; undefined means the emulator's default length (finish reason "stop"). */
  maxTokens: number | undefined;
  /** Whether pieces after the first carry a leading space. */
  leadingSpace: boolean;
  delivery: Delivery;
  /**
   * The tool a request offered (OpenAI's `tools`): at --tool-call-rate (or forced by header) it is
   * called instead of answering. A protocol sets it only where its delivery renders tool calls.
   */
  toolOffer?: ToolOffer;
  /** The protocol's error body for refusals after parsing (injected statuses, capacity); absent: OpenAI's. */
  errorBody?: ErrorBodyShape;
}

/** An error response body in a protocol's own shape, for an HTTP status and message. */
export type ErrorBodyShape = (status: number, message: string) => unknown;

export interface Cancellable {
  cancel(): void;
}
