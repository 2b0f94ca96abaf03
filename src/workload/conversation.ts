// Multi-turn conversations (`run --turns T --turn-think-time S --session-header NAME`). A conversation
// is what a load model calls one request (a closed model's cycle, an open model's arrival): T turns
// on the same virtual client, one after the other. Turn k sends the whole conversation so far — user
// message 1, the assistant's reply 1 exactly as it streamed in, user message 2, ... — so a server's
// prefix cache sees what a chat product sends. A reply that called tools is sent back with its calls,
// and the next turn carries their results instead of a user message, as an agent's loop does. Only
// the conversation in progress is kept.
import type { ChatMessage, MessageToolCall, RequestSpec, UserTurn } from "../protocols/types.js";
import { isJsonObjectText } from "./dataset.js";

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

  /**
   * The next turn's request: turn 1 as drawn, a later one with the whole conversation before `user`.
   * After a reply that called tools, `user`'s text is each call's result (a tool's output sized as
   * a user message would be: the prompt sets, the dataset, --input-tokens) and no user message is added.
   */
  request(user: UserTurn | null): RequestSpec {
    this.turn++;
    if (this.turn === 1) return this.headers ? { ...this.first, headers: this.headers } : this.first;
    if (user === null) throw new Error("a later turn needs the user's message");
    // The last reply's tool calls, when it made some, are answered before anything else is said.
    const calls = this.messages.at(-1)?.toolCalls;
    if (calls) for (const call of calls) this.messages.push({ role: "tool", content: user.content, toolCallId: call.id });
    else this.messages.push({ role: "user", content: user.content });
    this.prompt += PROMPT_TURN_SEPARATOR + user.content;
    // A later turn keeps everything turn 1 asked for (its type, --ignore-eos, the tools it offers) but
    // what a turn replaces; the dataset's later turns belong to the conversation, not to a request.
    const { followUps: _conversationTurns, ...asked } = this.first;
    const spec: RequestSpec = { ...asked, prompt: this.prompt, messages: [...this.messages], maxTokens: user.maxTokens };
    if (this.headers) spec.headers = this.headers;
    return spec;
  }

  /**
   * The assistant's reply to the turn just sent, as received: the next turn sends it back verbatim,
   * with the tool calls it made (whose results the next turn then carries). A reply with neither text
   * nor calls is not sent back: an empty assistant message is refused by some APIs (Anthropic's
   * Messages), while two user messages in a row are taken by all of them.
   */
  answered(reply: string, toolCalls: readonly MessageToolCall[] = []): void {
    // A call whose id or name did not arrive (a cut stream) cannot be answered: it is left out.
    const calls = toolCalls.filter((call) => call.id !== "" && call.name !== "");
    if (calls.length > 0) {
      // Arguments that are no JSON object go back as "{}": APIs that take them as an object could not carry them.
      const toolCalls = calls.map((call) => (isJsonObjectText(call.arguments) ? call : { ...call, arguments: "{}" }));
      this.messages.push({ role: "assistant", content: reply, toolCalls });
    } else if (reply !== "") {
      this.messages.push({ role: "assistant", content: reply });
    }
    this.prompt += reply;
  }
}
