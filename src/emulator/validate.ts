// Checks on parsed JSON request bodies, shared by the protocol parsers; each failure is an
// InvalidRequest naming the field, answered with 400.
import { InvalidRequest } from "./http.js";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, name: string): JsonObject {
  if (!isObject(value)) throw new InvalidRequest(`${name} must be a JSON object`);
  return value;
}

export function optionalObject(body: JsonObject, key: string): JsonObject | undefined {
  const value = body[key];
  return value === undefined || value === null ? undefined : requireObject(value, `'${key}'`);
}

export function requireString(body: JsonObject, key: string): string {
  const value = body[key];
  if (value === undefined || value === null) throw new InvalidRequest(`'${key}' is required`);
  if (typeof value !== "string") throw new InvalidRequest(`'${key}' must be a string`);
  return value;
}

export function requireNonEmptyArray(body: JsonObject, key: string): unknown[] {
  const value = body[key];
  if (value === undefined || value === null) throw new InvalidRequest(`'${key}' is required`);
  if (!Array.isArray(value) || value.length === 0) throw new InvalidRequest(`'${key}' must be a non-empty array`);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new InvalidRequest(`'${key}' must be a boolean`);
  return value;
}

export function optionalPositiveInteger(body: JsonObject, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidRequest(`'${key}' must be an integer >= 1`);
  }
  return value;
}

/** Text of chat messages: string content, or the text parts of multi-part content. */
export function messageTexts(messages: unknown[]): string[] {
  const texts: string[] = [];
  messages.forEach((message, index) => {
    const fields = requireObject(message, `messages[${index}]`);
    if (typeof fields["role"] !== "string") throw new InvalidRequest(`messages[${index}].role must be a string`);
    const content = fields["content"];
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) partTexts(part, texts);
    } else if (content !== undefined && content !== null) {
      throw new InvalidRequest(`messages[${index}].content must be a string or an array of parts`);
    }
    // An agent's earlier tool calls are prompt tokens too (OpenAI's arguments are JSON text, Ollama's an object).
    const calls = fields["tool_calls"];
    if (Array.isArray(calls)) {
      for (const call of calls) {
        const args = isObject(call) && isObject(call["function"]) ? call["function"]["arguments"] : undefined;
        if (typeof args === "string") texts.push(args);
        else if (isObject(args)) texts.push(JSON.stringify(args));
      }
    }
  });
  return texts;
}

/**
 * The texts of one content part: a text part's text, Anthropic's tool_use input (as JSON) and
 * tool_result content (a string or text blocks).
 */
function partTexts(part: unknown, texts: string[]): void {
  if (!isObject(part)) return;
  if (typeof part["text"] === "string") texts.push(part["text"]);
  else if (part["type"] === "tool_use" && part["input"] !== undefined) texts.push(JSON.stringify(part["input"]));
  else if (part["type"] === "tool_result") {
    const result = part["content"];
    if (typeof result === "string") texts.push(result);
    else if (Array.isArray(result)) for (const block of result) partTexts(block, texts);
  }
}
