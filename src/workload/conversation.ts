// Multi-turn conversations (`run --turns T --turn-think-time S --session-header NAME`). A conversation
// is what a load model calls one request (a closed model's cycle, an open model's arrival): T turns
// on the same virtual client, one after the other. Turn k sends the whole conversation so far — user
// message 1, the assistant's reply 1 exactly as it streamed in, user message 2, ... — so a server's
// prefix cache sees what a chat product sends. Only the conversation in progress is kept.
import type { Problems } from "../config/values.js";
import type { ChatMessage, RequestSpec, UserTurn } from "../protocols/types.js";

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

/** Separates turns in the prompt of prompt-only protocols (completions, generate). */
const PROMPT_TURN_SEPARATOR = "\n\n";

export class Conversation {
  /** Turns sent so far. */
  private turn = 0;
  /** The conversation so far: for chat protocols' messages... */
  private messages: ChatMessage[];
  /** ...and for prompt-only protocols, whose next prompt continues the last prompt and its reply. */
  private prompt: string;
  private readonly headers: Record<string, string> | undefined;

  constructor(
    readonly id: string,
    /** Turn 1's request (its prompt set or dataset entry, its shared prefix); later turns keep its type. */
    private readonly first: RequestSpec,
    sessionHeader: string | null,
  ) {
    this.messages = first.messages ? [...first.messages] : [{ role: "user", content: first.prompt }];
    this.prompt = first.prompt;
    this.headers = sessionHeader === null ? undefined : { [sessionHeader]: id };
  }

  /** Whether a next turn has a user message: always, unless a dataset conversation has played all of its own. */
  get holdsAnotherTurn(): boolean {
    const followUps = this.first.followUps;
    return !followUps || this.turn - 1 < followUps.length;
  }

  /** The user's message of the next turn after the first: the dataset conversation's own, else `draw()`. */
  userTurn(draw: () => UserTurn): UserTurn {
    return this.first.followUps?.[this.turn - 1] ?? draw();
  }

  /** The next turn's request: turn 1 as drawn, a later one with the whole conversation before `user`. */
  request(user: UserTurn | null): RequestSpec {
    this.turn++;
    if (this.turn === 1) return this.headers ? { ...this.first, headers: this.headers } : this.first;
    if (user === null) throw new Error("a later turn needs the user's message");
    this.messages.push({ role: "user", content: user.content });
    this.prompt += PROMPT_TURN_SEPARATOR + user.content;
    const spec: RequestSpec = { type: this.first.type, prompt: this.prompt, messages: [...this.messages], maxTokens: user.maxTokens };
    if (this.first.ignoreEos) spec.ignoreEos = true;
    // Every turn offers the tools the conversation began with.
    if (this.first.tools) spec.tools = this.first.tools;
    if (this.headers) spec.headers = this.headers;
    return spec;
  }

  /** The assistant's reply to the turn just sent, as received: the next turn sends it back verbatim. */
  answered(reply: string): void {
    this.messages.push({ role: "assistant", content: reply });
    this.prompt += reply;
  }
}
