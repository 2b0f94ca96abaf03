// Emulator side of seed 004's NDJSON completions: always streamed, one {"text":"token_i"} line per
// token, no end marker. The text is the wire's token_i, whatever the emulator's text mode, because
// seed 004's client checks order and loss by it.
import type { GenerationRequest } from "../../emulator/generation.js";
import { SLOT, template1 } from "../../emulator/json-template.js";
import { promptOf } from "../../emulator/text.js";
import { optionalPositiveInteger, requireObject } from "../../emulator/validate.js";
import { type NdjsonChunk, ndjsonTokenText } from "./wire.js";

const tokenLine = template1({ text: SLOT } satisfies NdjsonChunk, { before: "", after: "\n" });

export function parseNdjsonCompletionRequest(rawBody: unknown): GenerationRequest {
  const body = requireObject(rawBody, "request body");
  const text = body["prompt"];
  const prompt = promptOf(typeof text === "string" ? [text] : []);
  return {
    promptTexts: prompt.promptTexts,
    promptWords: prompt.promptWords,
    maxTokens: optionalPositiveInteger(body, "max_tokens"),
    leadingSpace: false,
    delivery: {
      kind: "stream",
      renderer: { contentType: "application/x-ndjson", token: (index) => tokenLine(ndjsonTokenText(index)), end: () => "" },
    },
  };
}
