// Ollama wire format (/api/generate, /api/chat), shared by the client driver and the emulator:
// NDJSON objects with done:false per token and a final done:true object carrying the counts and
// durations (nanoseconds).

export type DoneReason = "stop" | "length";

export interface OllamaOptions {
  num_predict?: number;
}

export interface OllamaChatMessage {
  role: string;
  content: string;
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
  done: false;
}

export interface OllamaChatChunk {
  model: string;
  created_at: string;
  message: { role: "assistant"; content: string };
  done: false;
}

export type OllamaGenerateFinal = Omit<OllamaGenerateChunk, "done"> & OllamaDoneFields;
export type OllamaChatFinal = Omit<OllamaChatChunk, "done"> & OllamaDoneFields;

/** One NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
