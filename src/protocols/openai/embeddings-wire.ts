// OpenAI embeddings wire format (POST /v1/embeddings), shared by the client driver and the emulator:
// a request embeds one input or a batch, the answer is one JSON object with a vector per input, in
// input order, and the prompt tokens used. Not streamed.

export interface EmbeddingsRequest {
  model: string;
  /** One text, or a batch of texts (token-id arrays are accepted by the emulator too). */
  input: string | string[];
  /** Vector length asked for; absent: the model's own (the emulator's DEFAULT_EMBEDDING_DIMENSIONS). */
  dimensions?: number;
  /** "float" (JSON numbers) or "base64" (little-endian float32 bytes, what the official SDK asks for). */
  encoding_format?: "float" | "base64";
}

export interface Embedding {
  object: "embedding";
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: "list";
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** The emulator's vector length when a request names none. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 16;
/** The most inputs one request may carry, and the longest vector, as OpenAI's own limits go (inputs) or beyond (dimensions). */
export const MAX_EMBEDDING_INPUTS = 2048;
export const MAX_EMBEDDING_DIMENSIONS = 8192;
/** The most floats one emulated answer may hold (inputs x dimensions): about 40 MB of JSON, built in memory. */
export const MAX_EMBEDDING_VALUES = 2 ** 21;
