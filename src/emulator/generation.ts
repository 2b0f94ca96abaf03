// The contract between the emulator core and each protocol: a protocol turns a request body into a
// GenerationRequest (what to generate and how to frame it); the core decides failures, admission
// and timing, and calls the renderer for the bytes.

export type FinishReason = "stop" | "length";

/** Monotonic instants of one generation, in ms (nowMs()). */
export interface GenerationTiming {
  receivedAtMs: number;
  admittedAtMs: number;
  firstTokenAtMs: number;
  endedAtMs: number;
}

export interface GenerationResult {
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason;
  timing: GenerationTiming;
}

export interface StreamRenderer {
  contentType: string;
  /** The frame carrying token `index` (0-based) whose text is `piece`. */
  token(index: number, piece: string): string;
  /** Frames after the last token (finish chunk, usage, [DONE] / done:true); "" when the protocol has none. */
  end(result: GenerationResult): string;
}

/** The JSON body of a non-streamed response. */
export type WholeRenderer = (text: string, result: GenerationResult) => string;

export type Delivery = { kind: "stream"; renderer: StreamRenderer } | { kind: "whole"; render: WholeRenderer };

export interface GenerationRequest {
  promptWords: string[];
  /** max_tokens / num_predict; undefined means the emulator's default length (finish reason "stop"). */
  maxTokens: number | undefined;
  /** Whether pieces after the first carry a leading space. */
  leadingSpace: boolean;
  delivery: Delivery;
}

export interface Cancellable {
  cancel(): void;
}
