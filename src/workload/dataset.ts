// Prompt datasets (`--dataset FILE`): JSONL lines {"prompt": ...} or OpenAI-style {"messages": [...]},
// or a CSV file with a `prompt` column; each entry may carry its own max_tokens and request type.
// Every bad line is reported as `file:line: message`, all at once, before the run starts.
import { extname } from "node:path";
import type { Problems } from "../config/values.js";
import { createRequire } from "node:module";
import { parseCsv } from "./csv.js";
import { LineProblems, readInputFile } from "./file-problems.js";

/** A call an assistant message made to a tool (an OpenAI `tool_calls` entry, flattened). */
export interface MessageToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text (an object), as OpenAI carries them. */
  arguments: string;
}

/**
 * One message of a conversation (datasets in the OpenAI messages style). An agent's turns carry
 * tool calls (`toolCalls`, on an assistant message whose content may be empty) and their results
 * (role "tool", with `toolCallId`); each driver sends them in its API's own shape.
 */
export interface ChatMessage {
  role: string;
  content: string;
  toolCalls?: MessageToolCall[];
  /** Role "tool": the call this message is the result of. */
  toolCallId?: string;
}

/** One user turn of a conversation: what the user says, and the output tokens asked for in answer. */
export interface UserTurn {
  content: string;
  maxTokens: number | null;
}

export interface DatasetEntry {
  /** The prompt text; for a conversation, its messages' contents one per line (completion-style protocols send this). */
  prompt: string;
  /** The conversation as given, for chat protocols; null for a plain prompt. */
  messages: ChatMessage[] | null;
  /** Output tokens asked for; null falls back to --length. */
  maxTokens: number | null;
  /** Request type for the report's by_type breakdown. */
  type: string;
  /** ShareGPT: the conversation's later answered human turns (maybe none), which `run --turns` sends as its later turns. */
  followUps?: UserTurn[];
  /** JSONL `tools`: the function tools the request offers, in OpenAI's chat shape. */
  tools?: ToolDefinition[];
}

/**
 * A function tool as OpenAI's chat API takes it: `{"type": "function", "function": {"name",
 * "description", "parameters"}}`. Drivers of other APIs send it in their own shape.
 */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Request type of entries that name none. */
export const DEFAULT_DATASET_TYPE = "dataset";

export class PromptDataset {
  private next = 0;

  constructor(
    readonly file: string,
    readonly entries: readonly DatasetEntry[],
    /** "file": requests take entries in turn; "arrival": arrival i takes entry i (a trace: src/workload/trace.ts). */
    readonly order: "file" | "arrival" = "file",
    /** Entries of the file left out as unusable (ShareGPT conversations without an answered human turn). */
    readonly skipped = 0,
  ) {}

  /** Entries in file order, wrapping around, so every prompt is used before any repeats. */
  take(): DatasetEntry {
    const entry = this.entries[this.next]!;
    this.next = (this.next + 1) % this.entries.length;
    return entry;
  }

  /** The entry a run's `index`-th request takes (0-based, wrapping around): what take() gives it in turn. */
  at(index: number): DatasetEntry {
    return this.entries[index % this.entries.length]!;
  }

  /** The report's config names the file and its make-up, not every prompt. */
  toJSON(): Record<string, unknown> {
    const types: Record<string, number> = {};
    for (const entry of this.entries) types[entry.type] = (types[entry.type] ?? 0) + 1;
    return { file: this.file, prompts: this.entries.length, types, ...(this.skipped > 0 ? { skipped: this.skipped } : {}) };
  }
}


function maxTokensOf(value: unknown, line: number, bad: LineProblems): number | null | undefined {
  if (value === undefined || value === null || value === "") return null;
  const n = typeof value === "string" ? Number(value.trim()) : value;
  if (typeof n === "number" && Number.isInteger(n) && n > 0) return n;
  bad.add(line, `max_tokens must be a positive integer (got ${JSON.stringify(value)})`);
  return undefined;
}

function typeOf(value: unknown, line: number, bad: LineProblems): string | undefined {
  if (value === undefined || value === null || value === "") return DEFAULT_DATASET_TYPE;
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  bad.add(line, `type must be a non-empty string (got ${JSON.stringify(value)})`);
  return undefined;
}

/** `tools`: a non-empty list of function tools in OpenAI's chat shape; each names its function. */
function toolsOf(value: unknown, line: number, bad: LineProblems): ToolDefinition[] | null | undefined {
  if (value === undefined || value === null) return null;
  const shape = `[{"type": "function", "function": {"name", "parameters"}}]`;
  if (!Array.isArray(value) || value.length === 0) {
    bad.add(line, `"tools" must be a non-empty array of ${shape}`);
    return undefined;
  }
  for (const [index, tool] of value.entries()) {
    const { type, function: fn } = (tool ?? {}) as Record<string, unknown>;
    const { name, description, parameters } = (typeof fn === "object" && fn !== null ? fn : {}) as Record<string, unknown>;
    const problem =
      type !== "function"
        ? `"type" must be "function"`
        : typeof name !== "string" || name === ""
          ? `"function.name" must be a non-empty string`
          : description !== undefined && typeof description !== "string"
            ? `"function.description" must be a string`
            : parameters !== undefined && (typeof parameters !== "object" || parameters === null || Array.isArray(parameters))
              ? `"function.parameters" must be a JSON schema object`
              : null;
    if (problem) {
      bad.add(line, `tools[${index}]: ${problem}`);
      return undefined;
    }
  }
  return value as ToolDefinition[];
}

/** Whether `text` is a JSON object, as a tool call's arguments must be (APIs that take them as an object parse them). */
export function isJsonObjectText(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** An assistant message's `tool_calls` in OpenAI's shape, or the problem with them. */
function toolCallsOf(value: unknown): MessageToolCall[] | string {
  if (!Array.isArray(value) || value.length === 0) return `"tool_calls" must be a non-empty array`;
  const calls: MessageToolCall[] = [];
  for (const [index, entry] of value.entries()) {
    const { id, type, function: fn } = (entry ?? {}) as Record<string, unknown>;
    const { name, arguments: args } = (fn ?? {}) as Record<string, unknown>;
    if (typeof id !== "string" || id === "") return `tool_calls[${index}].id must be a non-empty string`;
    if (type !== undefined && type !== "function") return `tool_calls[${index}].type must be "function"`;
    if (typeof name !== "string" || name === "") return `tool_calls[${index}].function.name must be a non-empty string`;
    if (typeof args !== "string" || !isJsonObjectText(args)) return `tool_calls[${index}].function.arguments must be a JSON object in a string`;
    calls.push({ id, name, arguments: args });
  }
  return calls;
}

/**
 * A message: `{"role", "content"}`; an assistant's may instead (or also) carry `tool_calls`, with
 * `content` null; a tool result is `{"role": "tool", "tool_call_id", "content"}` and must answer a
 * call made earlier in the conversation.
 */
function messageOf(message: unknown, callIds: Set<string>): ChatMessage | string {
  const { role, content, tool_calls: calls, tool_call_id: answers } = (message ?? {}) as Record<string, unknown>;
  if (typeof role !== "string" || role === "") return `must have a string "role" and a string "content"`;
  if (calls !== undefined && calls !== null) {
    if (role !== "assistant") return `only an assistant message has "tool_calls"`;
    const toolCalls = toolCallsOf(calls);
    if (typeof toolCalls === "string") return toolCalls;
    if (content !== null && content !== undefined && typeof content !== "string") return `"content" must be a string or null`;
    for (const call of toolCalls) callIds.add(call.id);
    return { role, content: content ?? "", toolCalls };
  }
  if (typeof content !== "string") return `must have a string "role" and a string "content"`;
  if (role !== "tool") return { role, content };
  if (typeof answers !== "string" || answers === "") return `a "tool" message must have a string "tool_call_id"`;
  if (!callIds.has(answers)) return `"tool_call_id" "${answers}" answers no tool call made before it`;
  return { role, content, toolCallId: answers };
}

function messagesOf(value: unknown, line: number, bad: LineProblems): ChatMessage[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    bad.add(line, `"messages" must be a non-empty array of {"role", "content"}`);
    return undefined;
  }
  const messages: ChatMessage[] = [];
  const callIds = new Set<string>();
  for (const [index, message] of value.entries()) {
    const parsed = messageOf(message, callIds);
    if (typeof parsed === "string") {
      bad.add(line, `messages[${index}] ${parsed}`);
      return undefined;
    }
    messages.push(parsed);
  }
  return messages;
}

function jsonlEntries(text: string, bad: LineProblems): DatasetEntry[] {
  const entries: DatasetEntry[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const source = index === 0 ? raw.replace(/^\uFEFF/, "") : raw;
    if (source.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (err) {
      bad.add(line, `not valid JSON (${(err as Error).message})`);
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      bad.add(line, `expected a JSON object with "prompt" or "messages"`);
      continue;
    }
    const object = parsed as Record<string, unknown>;
    const hasPrompt = object.prompt !== undefined;
    const hasMessages = object.messages !== undefined;
    if (hasPrompt === hasMessages) {
      bad.add(line, hasPrompt ? `has both "prompt" and "messages"; give one` : `needs "prompt" (a string) or "messages" (a list)`);
      continue;
    }
    let prompt: string | undefined;
    let messages: ChatMessage[] | null | undefined = null;
    if (hasPrompt) {
      if (typeof object.prompt === "string" && object.prompt.trim() !== "") prompt = object.prompt;
      else bad.add(line, `"prompt" must be a non-empty string`);
    } else {
      messages = messagesOf(object.messages, line, bad);
      if (messages) prompt = messages.map((m) => m.content).join("\n");
    }
    const maxTokens = maxTokensOf(object.max_tokens, line, bad);
    const type = typeOf(object.type, line, bad);
    const tools = toolsOf(object.tools, line, bad);
    if (prompt !== undefined && messages !== undefined && maxTokens !== undefined && type !== undefined && tools !== undefined) {
      entries.push(tools === null ? { prompt, messages, maxTokens, type } : { prompt, messages, maxTokens, type, tools });
    }
  }
  return entries;
}

function csvEntries(text: string, bad: LineProblems): DatasetEntry[] {
  const { records, problems } = parseCsv(text);
  for (const problem of problems) bad.add(problem.line, problem.message);
  const [header, ...rows] = records;
  if (!header) return [];
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const column = (name: string): number => columns.indexOf(name);
  if (column("prompt") < 0) {
    bad.add(header.line, `the header needs a "prompt" column (optional: max_tokens, type); got ${columns.join(",")}`);
    return [];
  }
  const entries: DatasetEntry[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      bad.add(row.line, `expected ${columns.length} fields as in the header, got ${row.fields.length}`);
      continue;
    }
    const prompt = row.fields[column("prompt")]!;
    if (prompt.trim() === "") bad.add(row.line, "the prompt is empty");
    const maxTokens = column("max_tokens") < 0 ? null : maxTokensOf(row.fields[column("max_tokens")], row.line, bad);
    const type = column("type") < 0 ? DEFAULT_DATASET_TYPE : typeOf(row.fields[column("type")], row.line, bad);
    if (prompt.trim() !== "" && maxTokens !== undefined && type !== undefined) entries.push({ prompt, messages: null, maxTokens, type });
  }
  return entries;
}

/** ShareGPT's speakers, as chat roles. */
const SHAREGPT_ROLES: Record<string, string> = { human: "user", user: "user", gpt: "assistant", chatgpt: "assistant", bing: "assistant", bard: "assistant", system: "system" };
export const SHAREGPT_TYPE = "sharegpt";

/**
 * Where JSON that JSON.parse refused goes wrong: Node 20's message gives no position, so the text is
 * read again by the YAML parser (JSON is YAML), whose errors carry line and column.
 */
function jsonErrorAt(text: string): { line: number; col: number } {
  // Loaded only for a broken file: a run without one never pays for the YAML parser.
  const { parseDocument } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  const at = parseDocument(text).errors[0]?.linePos?.[0];
  return at ? { line: at.line, col: at.col } : { line: 1, col: 1 };
}

/**
 * ShareGPT JSON: a list of `{"conversations": [{"from": "human"|"gpt"|"system", "value"}...]}`. As
 * vLLM's benchmark reads it, a conversation gives its first human turn as the prompt (after any system
 * turn) and the length of the reply that follows as the output length (in words); a conversation with
 * no human turn answered is left out and counted.
 */
function shareGptEntries(text: string, bad: LineProblems, skipped: { count: number }): DatasetEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    const { line, col } = jsonErrorAt(text);
    bad.add(line, `not valid JSON (at column ${col})`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    bad.add(1, `expected a JSON list of {"conversations": [{"from", "value"}...]} (ShareGPT)`);
    return [];
  }
  const entries: DatasetEntry[] = [];
  for (const [index, item] of parsed.entries()) {
    const conversation = (item as Record<string, unknown> | null)?.conversations;
    if (!Array.isArray(conversation)) {
      bad.addAt(`conversation ${index + 1}`, `needs "conversations", a list of {"from", "value"}`);
      continue;
    }
    const turns: ChatMessage[] = [];
    let broken = false;
    for (const [turn, raw] of conversation.entries()) {
      const { from, value } = (raw ?? {}) as Record<string, unknown>;
      const role = typeof from === "string" ? SHAREGPT_ROLES[from.toLowerCase()] : undefined;
      if (role === undefined || typeof value !== "string") {
        bad.addAt(`conversation ${index + 1}, turn ${turn + 1}`, `needs "from" (human, gpt or system) and a string "value"`);
        broken = true;
        break;
      }
      turns.push({ role, content: value });
    }
    if (broken) continue;
    const asked = turns.findIndex((t) => t.role === "user" && t.content.trim() !== "");
    const reply = asked < 0 ? undefined : turns[asked + 1];
    const replyWords = reply?.role === "assistant" ? wordCount(reply.content) : 0;
    if (asked < 0 || replyWords === 0) {
      skipped.count++;
      continue;
    }
    const system = turns.slice(0, asked).filter((t) => t.role === "system");
    const messages = [...system, turns[asked]!];
    const entry: DatasetEntry = { prompt: messages.map((m) => m.content).join("\n"), messages, maxTokens: replyWords, type: SHAREGPT_TYPE };
    // The conversation's own later turns, even none: `run --turns` plays no more than it holds.
    entry.followUps = laterTurns(turns, asked + 2);
    entries.push(entry);
  }
  return entries;
}

/** Words of a message, as the emulator counts tokens. */
function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * The human turns from `from` on that the next turn answers, each with its reply's length in words as
 * its output length; they stop at the first one left unanswered (the recorded conversation ends there).
 */
function laterTurns(turns: readonly ChatMessage[], from: number): UserTurn[] {
  const later: UserTurn[] = [];
  for (let i = from; i < turns.length; i++) {
    const turn = turns[i]!;
    if (turn.role !== "user" || turn.content.trim() === "") continue;
    const reply = turns[i + 1];
    const words = reply?.role === "assistant" ? wordCount(reply.content) : 0;
    if (words === 0) break;
    later.push({ content: turn.content, maxTokens: words });
  }
  return later;
}

const READERS: Record<string, (text: string, bad: LineProblems, skipped: { count: number }) => DatasetEntry[]> = {
  ".jsonl": jsonlEntries,
  ".ndjson": jsonlEntries,
  ".csv": csvEntries,
  ".json": shareGptEntries,
};

/** Read and check a dataset file; every problem goes to `problems` and the result is then null. */
export function loadDataset(file: string, problems: Problems): PromptDataset | null {
  const read = READERS[extname(file).toLowerCase()];
  if (!read) {
    problems.add(`--dataset ${file}: unsupported file type (use .jsonl, .csv or ShareGPT .json)`);
    return null;
  }
  const text = readInputFile("--dataset", file, problems);
  if (text === null) return null;
  const bad = new LineProblems(file);
  const skipped = { count: 0 };
  const entries = read(text, bad, skipped);
  if (bad.flushInto(problems)) return null;
  if (entries.length === 0) {
    problems.add(`${file}: no prompts in the file`);
    return null;
  }
  return new PromptDataset(file, entries, "file", skipped.count);
}
