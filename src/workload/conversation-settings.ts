// The settings of multi-turn conversations (`run --turns T --turn-think-time S --session-header
// NAME`), apart from the conversation itself (./conversation.ts), so the run's configuration types
// need nothing of the protocols'.
import type { Problems } from "../config/values.js";

/** The flags as commander hands them over. */
export interface ConversationFlags {
  turns?: string;
  turnThinkTime?: string;
  sessionHeader?: string;
}

/** What `run` was asked for; null settings mean one request per cycle, as without --turns. */
export interface ConversationSettings {
  /** Turns per conversation (at most: a dataset conversation plays no more turns than it holds). */
  turns: number;
  /** Pause between a reply and the next turn, seconds. */
  thinkTimeS: number;
  /** Header whose value is the conversation's id on every one of its requests (sticky routing); null: none. */
  sessionHeader: string | null;
}

/** Protocols whose requests can carry a conversation: chat messages, or a prompt that grows turn by turn. */
export const CONVERSATION_PROTOCOLS: ReadonlySet<string> = new Set([
  "openai-chat",
  "openai-completions",
  "openai-responses",
  "anthropic-messages",
  "ollama-chat",
  "ollama-generate",
]);

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * --turns / --turn-think-time / --session-header, checked against the protocol and the prompt source;
 * null for one request per cycle (no --turns above 1 and no --session-header), as without them.
 */
export function resolveConversations(
  problems: Problems,
  flags: ConversationFlags & { protocol?: string; trace?: string },
  protocol: string,
): ConversationSettings | null {
  const turns = problems.number(flags.turns, "positiveInt", { flag: "--turns" });
  const thinkTimeS = problems.number(flags.turnThinkTime, "nonNegative", { flag: "--turn-think-time" });
  const sessionHeader = flags.sessionHeader?.trim();
  if (sessionHeader !== undefined && !HEADER_NAME.test(sessionHeader)) {
    problems.add(`--session-header must be an HTTP header name such as X-Session-Id (got "${flags.sessionHeader}")`);
  }
  if (flags.turns !== undefined && turns === undefined) return null;
  if (flags.turnThinkTime !== undefined && (turns ?? 1) < 2) problems.add("--turn-think-time needs --turns of 2 or more");
  if ((turns ?? 1) < 2 && sessionHeader === undefined) return null;
  const given = (turns ?? 1) > 1 ? "--turns" : "--session-header";
  if (!CONVERSATION_PROTOCOLS.has(protocol)) {
    problems.add(`${given} needs a protocol that streams a text reply to a conversation (${[...CONVERSATION_PROTOCOLS].join(", ")}), not --protocol ${protocol}`);
  }
  if (flags.trace !== undefined) problems.add(`${given} does not apply with --trace (a trace's arrivals are single requests)`);
  return { turns: turns ?? 1, thinkTimeS: thinkTimeS ?? 0, sessionHeader: sessionHeader?.toLowerCase() ?? null };
}

/** A conversation's id: stable for its whole life, unique in the run (clients are whole-run numbers). */
export function conversationId(client: number, cycle: number): string {
  return `conv-${client}-${cycle}`;
}
