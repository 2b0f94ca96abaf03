// The settings of multi-turn conversations (`run --turns T --turn-think-time S --session-header
// NAME`), apart from the conversation itself (./conversation.ts), so the run's configuration types
// need nothing of the protocols'.
import { z } from "zod/v3";
import { given, type Settings, numberSetting, textSetting } from "../config/settings.js";
import type { Problems } from "../config/values.js";

/** The conversation settings of a run (composed in src/config/run-settings.ts). */
export const conversationSettings = z.object({
  turns: numberSetting("--turns", "positiveInt", "multi-turn conversations of n turns: each turn sends the whole conversation so far, the assistant's streamed replies included", 1),
  turnThinkTime: numberSetting("--turn-think-time", "nonNegative", "pause between a reply and the conversation's next turn, seconds", 0),
  sessionHeader: textSetting("--session-header", "send each conversation's stable id (conv-<client>-<n>) in this header on all its requests, for sticky routing"),
});

export type ConversationInput = Settings<typeof conversationSettings>;

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
  flags: ConversationInput,
  protocol: string,
  trace: boolean,
): ConversationSettings | null {
  const { turns, turnThinkTime: thinkTimeS } = flags;
  const sessionHeader = flags.sessionHeader?.trim();
  if (sessionHeader !== undefined && !HEADER_NAME.test(sessionHeader)) {
    problems.add(`--session-header must be an HTTP header name such as X-Session-Id (got "${flags.sessionHeader}")`);
  }
  if (given(flags, "turns") && turns === undefined) return null;
  if (given(flags, "turnThinkTime") && (turns ?? 1) < 2) problems.add("--turn-think-time needs --turns of 2 or more");
  if ((turns ?? 1) < 2 && sessionHeader === undefined) return null;
  const which = (turns ?? 1) > 1 ? "--turns" : "--session-header";
  if (!CONVERSATION_PROTOCOLS.has(protocol)) {
    problems.add(`${which} needs a protocol that streams a text reply to a conversation (${[...CONVERSATION_PROTOCOLS].join(", ")}), not --protocol ${protocol}`);
  }
  if (trace) problems.add(`${which} does not apply with --trace (a trace's arrivals are single requests)`);
  return { turns: turns ?? 1, thinkTimeS: thinkTimeS ?? 0, sessionHeader: sessionHeader?.toLowerCase() ?? null };
}

/** A conversation's id: stable for its whole life, unique in the run (clients are whole-run numbers). */
export function conversationId(client: number, cycle: number): string {
  return `conv-${client}-${cycle}`;
}
