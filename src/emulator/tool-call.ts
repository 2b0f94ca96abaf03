// The tool call the emulator makes for a request that offered tools: a call to the first tool, with
// arguments keyed by its parameters' property names and valued with generated words, streamed as
// pieces that join into valid JSON (`{"city": ` `"lorem"` `, "unit": ` `"ipsum"` `}`).
import { randomUUID } from "node:crypto";
import type { ToolCall, ToolOffer } from "./generation.js";
import type { PieceSource } from "./text.js";

export function toolCallFor(offer: ToolOffer, words: PieceSource): ToolCall {
  const argumentPieces: string[] = [];
  offer.argumentNames.forEach((name, index) => {
    argumentPieces.push(`${index === 0 ? "{" : ", "}${JSON.stringify(name)}: `, JSON.stringify(words(index)));
  });
  argumentPieces.push(argumentPieces.length === 0 ? "{}" : "}");
  return { id: `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`, name: offer.name, argumentPieces };
}

/** Tokens of a tool call: its opening (id and name), then one per argument piece. */
export function toolCallTokens(call: ToolCall): number {
  return 1 + call.argumentPieces.length;
}
