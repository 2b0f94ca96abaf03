// Seed 004's NDJSON streaming format on POST /v1/completions: exactly max_tokens lines
// {"text":"token_i"} (i from 0) and no end marker — the stream simply ends.

export interface NdjsonCompletionRequest {
  prompt?: string;
  max_tokens?: number;
  stream?: boolean;
}

export interface NdjsonChunk {
  text: string;
}

/** The text of chunk `index`, which lets a client check order and loss exactly. */
export function ndjsonTokenText(index: number): string {
  return `token_${index}`;
}
