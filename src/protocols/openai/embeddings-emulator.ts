// Emulator side of OpenAI embeddings: validates POST /v1/embeddings bodies and answers with one
// unit vector per input, the same vector for the same text every time (seeded by the text's hash),
// of `dimensions` floats (default DEFAULT_EMBEDDING_DIMENSIONS), as JSON numbers or base64 float32.
// The answer goes through the generation core as a one-token stream: the body leaves at the
// emulator's time to first token, so its timing, queueing, overrides and failure injection apply as
// to every other endpoint. The body is split at its usage field, so that a truncated answer (no
// usage, no closing brace) and a malformed one (a brace missing inside `data`) differ.
import type { GenerationRequest, StreamRenderer } from "../../emulator/generation.js";
import { InvalidRequest } from "../../emulator/http.js";
import { wordsOf } from "../../emulator/text.js";
import { type JsonObject, optionalPositiveInteger, requireObject } from "../../emulator/validate.js";
import { mulberry32 } from "../../random.js";
import {
  DEFAULT_EMBEDDING_DIMENSIONS,
  type Embedding,
  MAX_EMBEDDING_DIMENSIONS,
  MAX_EMBEDDING_INPUTS,
  MAX_EMBEDDING_VALUES,
  type EmbeddingsResponse,
} from "./embeddings-wire.js";

/** FNV-1a over the text's UTF-16 code units: a cheap, stable seed per input. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A unit-length vector drawn from the input's own seed. */
export function vectorOf(input: string, dimensions: number): number[] {
  const random = mulberry32(hashOf(input));
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}

function base64Of(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString("base64");
}

interface EmbeddingInput {
  /** What seeds the vector. */
  text: string;
  /** Its prompt tokens: words, or token ids. */
  tokens: number;
}

function isTokenIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((id) => Number.isInteger(id));
}

/** `input`: a string, a list of strings, a list of token ids, or a list of such lists. */
function inputsOf(body: JsonObject): EmbeddingInput[] {
  const input = body["input"];
  if (input === undefined || input === null) throw new InvalidRequest("'input' is required");
  const one = (value: unknown, where: string): EmbeddingInput => {
    if (typeof value === "string") {
      if (value.length === 0) throw new InvalidRequest(`${where} must not be empty`);
      return { text: value, tokens: wordsOf(value).length };
    }
    if (isTokenIds(value)) return { text: value.join(","), tokens: value.length };
    throw new InvalidRequest(`${where} must be a string or an array of token ids`);
  };
  if (typeof input === "string" || isTokenIds(input)) return [one(input, "'input'")];
  if (!Array.isArray(input) || input.length === 0) throw new InvalidRequest("'input' must be a string or a non-empty array");
  if (input.length > MAX_EMBEDDING_INPUTS) throw new InvalidRequest(`'input' may hold at most ${MAX_EMBEDDING_INPUTS} items (got ${input.length})`);
  return input.map((item, index) => one(item, `input[${index}]`));
}

function encodingOf(body: JsonObject): "float" | "base64" {
  const format = body["encoding_format"];
  if (format === undefined || format === null || format === "float") return "float";
  if (format === "base64") return "base64";
  throw new InvalidRequest("'encoding_format' must be \"float\" or \"base64\"");
}

/** The whole answer, cut before its usage field: the one "token", then the end. */
function answerRenderer(response: EmbeddingsResponse): StreamRenderer {
  const { usage, ...withoutUsage } = response;
  const head = JSON.stringify(withoutUsage).slice(0, -1);
  return {
    contentType: "application/json",
    token: (index) => (index === 0 ? head : ""),
    end: () => `,"usage":${JSON.stringify(usage)}}`,
  };
}

export function parseEmbeddingsRequest(rawBody: unknown, model: string): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const inputs = inputsOf(body);
  const dimensions = optionalPositiveInteger(body, "dimensions") ?? DEFAULT_EMBEDDING_DIMENSIONS;
  if (dimensions > MAX_EMBEDDING_DIMENSIONS) throw new InvalidRequest(`'dimensions' must be at most ${MAX_EMBEDDING_DIMENSIONS}`);
  if (inputs.length * dimensions > MAX_EMBEDDING_VALUES) {
    throw new InvalidRequest(`${inputs.length} inputs x ${dimensions} dimensions exceed this emulator's ${MAX_EMBEDDING_VALUES} values per answer`);
  }
  const encoding = encodingOf(body);
  const data: Embedding[] = inputs.map((input, index) => {
    const vector = vectorOf(input.text, dimensions);
    return { object: "embedding", index, embedding: encoding === "base64" ? base64Of(vector) : vector };
  });
  const promptTokens = inputs.reduce((sum, input) => sum + input.tokens, 0);
  const response: EmbeddingsResponse = { object: "list", data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  return {
    // The prompt's size is what usage reports; the generation core reads only its length.
    promptTexts: [],
    promptWords: new Array<string>(promptTokens).fill(""),
    fixedPromptTokens: true,
    maxTokens: 1,
    leadingSpace: false,
    delivery: { kind: "stream", renderer: answerRenderer(response) },
  };
}
