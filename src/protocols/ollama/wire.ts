// Ollama wire format (/api/generate, /api/chat), shared by the client driver and the emulator:
// NDJSON objects with done:false per token and a final done:true object carrying the counts and
// durations (nanoseconds).

export type DoneReason = "stop" | "length";

export interface OllamaOptions {
  num_predict?: number;
}

/** A tool call as Ollama sends it: whole, its arguments an object (no id, no pieces). */
export interface OllamaToolCall {
  function: { name: string; arguments: Record<string, unknown> };
}

export interface OllamaChatMessage {
  role: string;
  content: string;
  /** A thinking model's reasoning (the request's `think`), apart from the content. */
  thinking?: string;
  tool_calls?: OllamaToolCall[];
}

export interface OllamaGenerateRequest {
  model: string;
  prompt: string;
  /** Defaults to true. */
  stream?: boolean;
  options?: OllamaOptions;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaChatMessage[];
  /** Defaults to true. */
  stream?: boolean;
  options?: OllamaOptions;
}

/** Counts and durations (ns) of the final object. */
export interface OllamaDoneFields {
  done: true;
  done_reason: DoneReason;
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

export interface OllamaGenerateChunk {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: false;
}

export interface OllamaChatChunk {
  model: string;
  created_at: string;
  message: OllamaChatMessage & { role: "assistant" };
  done: false;
}

export type OllamaGenerateFinal = Omit<OllamaGenerateChunk, "done"> & OllamaDoneFields;
export type OllamaChatFinal = Omit<OllamaChatChunk, "done"> & OllamaDoneFields;

/** Ollama's error body, whatever the status: `{"error": "..."}`. */
export function ollamaError(_status: number, message: string): { error: string } {
  return { error: message };
}

/** One NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
