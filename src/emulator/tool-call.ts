// The tool call the emulator makes for a request that offered tools: a call to the first tool, with
// arguments keyed by its parameters' property names and valued with generated words, streamed as
// pieces that join into valid JSON (`{"city": ` `"lorem"` `, "unit": ` `"ipsum"` `}`).
import { randomUUID } from "node:crypto";
import type { ToolCall, ToolOffer } from "./generation.js";
import { InvalidRequest } from "./http.js";
import type { PieceSource } from "./text.js";
import { type JsonObject, optionalObject, requireObject } from "./validate.js";

/** Where an API keeps a tool's name and its JSON schema inside one entry of `tools`. */
export interface ToolShape {
  /** The object holding `name` and the schema (chat: the entry's `function`; Responses, Messages: the entry). */
  holder(tool: JsonObject): JsonObject;
  /** Its path, for error messages ("tools[0].function"). */
  holderPath: string;
  /** The schema's field: `parameters` (OpenAI) or `input_schema` (Anthropic). */
  schemaKey: string;
}

/** OpenAI chat's tools, which Ollama's /api/chat takes too: `{type: "function", function: {name, parameters}}`. */
export const CHAT_TOOL_SHAPE: ToolShape = {
  holder: (tool) => requireObject(tool["function"], "tools[0].function"),
  holderPath: "tools[0].function",
  schemaKey: "parameters",
};

/**
 * The first of a request's `tools`: its name and its schema's property names. No `tools`, or an
 * empty list, offers none.
 */
export function toolOfferOf(body: JsonObject, shape: ToolShape): ToolOffer | undefined {
  const tools = body["tools"];
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new InvalidRequest("'tools' must be an array");
  if (tools.length === 0) return undefined;
  const holder = shape.holder(requireObject(tools[0], "tools[0]"));
  const name = holder["name"];
  if (typeof name !== "string" || name === "") throw new InvalidRequest(`${shape.holderPath}.name must be a non-empty string`);
  const schema = optionalObject(holder, shape.schemaKey);
  const properties = schema ? optionalObject(schema, "properties") : undefined;
  return { name, argumentNames: properties ? Object.keys(properties) : [] };
}

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
