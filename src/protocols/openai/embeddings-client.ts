// Client driver for OpenAI embeddings: POST /v1/embeddings with a batch of --batch-size inputs, not
// streamed. A request is one answer, so it maps onto the streaming measures this way: the first
// byte of the answer's body is its one chunk (`ttft`: time to the answer starting), `e2e` is the
// latency to the whole answer, and its "tokens" are the inputs embedded, so that `tokens_per_sec`
// is inputs per second. The answer must be JSON with one vector per input (of --dimensions when
// given); a body cut short is truncated, any other bad body malformed.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { DEFAULT_MAX_LINE_BYTES, lineTooLong } from "../http/lines.js";
import { HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";
import { DEFAULT_EMBEDDINGS_OPTIONS, type EmbeddingsOptions, OPENAI_EMBEDDINGS } from "./embeddings-options.js";
import type { EmbeddingsRequest, EmbeddingsResponse } from "./embeddings-wire.js";

/**
 * Whether `text` could be the beginning of a JSON value that stopped early: every bracket closed so
 * far matches its opener, and a string or bracket is still open at the end. Anything else that fails
 * to parse is malformed.
 */
function endsInsideJson(text: string): boolean {
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) open.push(c + 2); // the closer: } is { + 2, ] is [ + 2
    else if (c === 0x7d || c === 0x5d) {
      if (open.pop() !== c) return false;
    }
  }
  return inString || open.length > 0;
}

/** Vectors as JSON numbers, or base64 float32 (4 bytes a dimension). */
function dimensionsOf(embedding: unknown): number | null {
  if (Array.isArray(embedding)) return embedding.every((value) => typeof value === "number") ? embedding.length : null;
  if (typeof embedding === "string") return Buffer.from(embedding, "base64").length / 4;
  return null;
}

function checkAnswer(answer: EmbeddingsResponse, settings: EmbeddingsOptions): void {
  const data = answer?.data;
  if (!Array.isArray(data)) throw new RequestFailure(ErrorClass.malformed, "embeddings answer without a data list");
  if (data.length !== settings.batchSize) {
    throw new RequestFailure(ErrorClass.malformed, `embeddings answer has ${data.length} vectors for ${settings.batchSize} inputs`);
  }
  for (const [i, item] of data.entries()) {
    const dimensions = dimensionsOf(item?.embedding);
    if (dimensions === null || dimensions === 0) throw new RequestFailure(ErrorClass.malformed, `embeddings answer: data[${i}] has no vector`);
    if (settings.dimensions !== null && dimensions !== settings.dimensions) {
      throw new RequestFailure(ErrorClass.malformed, `embeddings answer: data[${i}] has ${dimensions} dimensions, ${settings.dimensions} were asked for`);
    }
  }
}

function answerDecoder(trace: RequestTrace, settings: EmbeddingsOptions, options: DriverOptions): StreamDecoder {
  const maxBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder();
  let body = "";
  let bytes = 0;
  return {
    push(chunk, at) {
      if (chunk.length === 0) return;
      if (bytes === 0) trace.token(at);
      bytes += chunk.length;
      if (bytes > maxBytes) throw lineTooLong(maxBytes);
      body += decoder.decode(chunk, { stream: true });
    },
    end() {
      body += decoder.decode();
      if (body.trim() === "") throw new RequestFailure(ErrorClass.truncated, "embeddings answer with an empty body");
      let answer: EmbeddingsResponse;
      try {
        answer = JSON.parse(body) as EmbeddingsResponse;
      } catch {
        if (endsInsideJson(body)) throw new RequestFailure(ErrorClass.truncated, `embeddings answer ended inside its JSON after ${bytes} bytes`);
        throw new RequestFailure(ErrorClass.malformed, `embeddings answer: invalid JSON ${JSON.stringify(body.slice(0, 80))}`);
      }
      checkAnswer(answer, settings);
      // The inputs embedded are this request's "tokens"; not a per-chunk promise, so no token loss.
      trace.usage(answer.usage?.prompt_tokens ?? null, answer.data.length, false);
    },
  };
}

export function embeddingsProtocol(settings: EmbeddingsOptions): HttpStreamProtocol {
  return {
    path: "/v1/embeddings",
    accept: "application/json",
    body(spec: RequestSpec, options: DriverOptions): EmbeddingsRequest {
      const input = settings.batchSize === 1 ? spec.prompt : new Array<string>(settings.batchSize).fill(spec.prompt);
      const body: EmbeddingsRequest = { model: options.model, input, encoding_format: "float" };
      if (settings.dimensions !== null) body.dimensions = settings.dimensions;
      return body;
    },
    decoder: (trace, _spec, options) => answerDecoder(trace, settings, options),
  };
}

export const openAiEmbeddings: ProtocolDefinition<EmbeddingsOptions> = {
  name: OPENAI_EMBEDDINGS,
  description: "OpenAI-compatible POST /v1/embeddings, batches of inputs, not streamed",
  settingsOf: (config) => config.embeddings,
  create: (options, settings) => new HttpStreamDriver(embeddingsProtocol(settings ?? DEFAULT_EMBEDDINGS_OPTIONS), options),
};
