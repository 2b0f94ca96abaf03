// Client driver for seed 004's NDJSON completions: POST /v1/completions answered with exactly
// max_tokens lines {"text":"token_i"}. The count is exact, so anything short of it is token loss.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import { LineSplitter, parseJsonPayload } from "../http/lines.js";
import { PayloadTemplate } from "../http/payload-template.js";
import { HttpStreamDriver, type HttpStreamProtocol, type StreamDecoder } from "../http/stream-driver.js";
import type { ProtocolDefinition, RequestSpec } from "../types.js";

function ndjsonDecoder(trace: RequestTrace, spec: RequestSpec): StreamDecoder {
  trace.expectedTokens = spec.maxTokens;
  const template = new PayloadTemplate(`"text":"`);
  const lines = new LineSplitter((text, at) => {
    if (template.match(text) === undefined) {
      const chunk = parseJsonPayload<{ text?: unknown }>(text, "NDJSON chunk");
      if (typeof chunk.text === "string") template.learn(text, chunk.text);
    }
    trace.token(at);
  });
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

const protocol: HttpStreamProtocol = {
  path: "/v1/completions",
  accept: "application/x-ndjson",
  body: (spec, options) => ({
    model: options.model,
    prompt: spec.prompt,
    stream: true,
    ...(spec.maxTokens !== null ? { max_tokens: spec.maxTokens } : {}),
  }),
  decoder: (trace, spec) => ndjsonDecoder(trace, spec),
};

export const ndjsonCompletions: ProtocolDefinition = {
  name: "ndjson",
  description: "POST /v1/completions streaming NDJSON {\"text\":\"token_i\"}, exactly max_tokens chunks",
  create: (options) => new HttpStreamDriver(protocol, options),
};
