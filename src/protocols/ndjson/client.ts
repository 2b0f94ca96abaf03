// Client driver for seed 004's NDJSON completions: POST /v1/completions answered with exactly
// max_tokens lines {"text":"token_i"}. The count is exact, so anything short of it is token loss.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { LineSplitter, parseJsonPayload } from "../http/lines.js";
import { PayloadTemplate } from "../http/payload-template.js";
import { HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { DriverOptions, ProtocolDefinition, RequestSpec } from "../types.js";

function ndjsonDecoder(trace: RequestTrace, spec: RequestSpec, options: DriverOptions): StreamDecoder {
  trace.expectedTokens = spec.maxTokens;
  const template = new PayloadTemplate(`"text":"`);
  // A run with a tokenizer keeps the text to count its tokens (these streams carry no usage).
  const keepText = trace.receivedText !== null;
  const lines = new LineSplitter((text, at) => {
    let piece = template.match(text);
    if (piece === undefined) {
      const chunk = parseJsonPayload<{ text?: unknown }>(text, "NDJSON chunk");
      if (typeof chunk.text === "string") {
        template.learn(text, chunk.text);
        piece = chunk.text;
      }
    }
    trace.token(at);
    if (keepText && piece !== undefined) trace.text(piece);
  }, options.maxLineBytes);
  return {
    push: (chunk, at) => lines.push(chunk, at),
    end(at) {
      lines.flush(at);
      if (spec.maxTokens !== null && trace.chunks < spec.maxTokens) {
        throw new RequestFailure(ErrorClass.truncated, `stream ended after ${trace.chunks} of ${spec.maxTokens} tokens`);
      }
    },
  };
}

export const ndjsonProtocol: HttpStreamProtocol = {
  path: "/v1/completions",
  accept: "application/x-ndjson",
  body: (spec, options) => ({
    model: options.model,
    prompt: spec.prompt,
    stream: true,
    ...(spec.maxTokens !== null ? { max_tokens: spec.maxTokens } : {}),
  }),
  decoder: (trace, spec, options) => ndjsonDecoder(trace, spec, options),
};

export const ndjsonCompletions: ProtocolDefinition = {
  name: "ndjson",
  description: "POST /v1/completions streaming NDJSON {\"text\":\"token_i\"}, exactly max_tokens chunks",
  create: (options) => new HttpStreamDriver(ndjsonProtocol, options),
};
