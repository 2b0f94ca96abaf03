// Per-request measurement state, filled in by drivers as bytes arrive. Token arrivals are the hot
// path: each one costs a few histogram records and no allocation. Timestamps come from nowMs()
// taken by the transport at the moment a chunk is delivered, and are passed in, never re-read here.
import type { ErrorClassName } from "../errors.js";
import type { LatencyHistogram } from "./histogram.js";
import type { MeasuredMetricName, OutcomeMetricName } from "./registry.js";
import type { MessageToolCall } from "../workload/dataset.js";

/** Sinks that receive inter-token gaps the moment they are observed. */
export interface TokenSinks {
  itl: LatencyHistogram[];
  /** Per-token publish-to-receive delays (session), where the protocol carries a publish time. */
  delivery?: LatencyHistogram[];
  onTokens(count: number): void;
}

export class RequestTrace {
  /** When the request was meant to start (open models) or was issued (closed models). */
  intendedAt: number;
  /** When the driver took the request (before any connection pool or connect wait). */
  dispatchedAt = 0;
  /** When the request's bytes were written to a connection; 0 if that never happened. */
  sentAt = 0;
  headersAt = 0;
  firstTokenAt = 0;
  /** First answer token (content or tool call, not reasoning); 0 if none came or the driver does not tell them apart. */
  firstAnswerAt = 0;
  lastTokenAt = 0;
  endAt = 0;
  /** Last time any byte arrived; the idle-timeout sweeper reads it. */
  lastActivityAt = 0;
  status: number | null = null;
  /** Content-bearing chunks received (one token each for streaming servers). */
  chunks = 0;
  usageCompletionTokens: number | null = null;
  usagePromptTokens: number | null = null;
  /**
   * Reasoning tokens: the server's usage figure when it gave one, else the reasoning chunks counted;
   * null for drivers that do not tell reasoning from answer.
   */
  reasoningTokens: number | null = null;
  /** Tool calls the response made; null for drivers that do not look for them. */
  toolCallCount: number | null = null;
  private reasoningChunks = 0;
  private usageReasoningTokens: number | null = null;
  /**
   * The response's text as received, kept only when the run has a tokenizer (--tokenizer) to count
   * output tokens from it where the server gives no usage figure; null otherwise (nothing kept).
   */
  receivedText: string | null = null;
  /** Output tokens the tokenizer counted in receivedText (set when the request finishes). */
  textTokens: number | null = null;
  /**
   * The answer's text exactly as streamed (content deltas, no reasoning), kept only for a turn of a
   * multi-turn conversation whose next turn sends it back (src/workload/conversation.ts); null otherwise.
   */
  replyText: string | null = null;
  /**
   * The answer's tool calls as streamed (id, name, the arguments' JSON text), kept where replyText
   * is: the conversation's next turn sends them back with their results; null otherwise.
   */
  replyToolCalls: MessageToolCall[] | null = null;
  /** The turn (1-based) and conversation id of a conversation's request; null outside conversations. */
  turn: number | null = null;
  conversation: string | null = null;
  /** Tokens the protocol or the server promised, when that is known exactly. */
  expectedTokens: number | null = null;
  errorClass: ErrorClassName | null = null;
  errorMessage: string | null = null;
  /** Driver-measured latencies (voice: ttfa, barge_in...), one per name; null for plain HTTP requests. */
  measures: Map<MeasuredMetricName, number> | null = null;
  /** Driver-judged pass/fail outcomes (voice: tool call succeeded, false alarm resumed). */
  outcomes: Map<OutcomeMetricName, boolean> | null = null;
  private gapSum = 0;

  constructor(
    readonly id: number,
    readonly type: string,
    readonly client: number,
    readonly cycle: number,
    intendedAt: number,
    private readonly sinks: TokenSinks,
  ) {
    this.intendedAt = intendedAt;
  }

  dispatched(at: number): void {
    this.dispatchedAt = at;
    this.lastActivityAt = at;
  }

  sent(at: number): void {
    this.sentAt = at;
    this.lastActivityAt = at;
  }

  headers(at: number, status: number): void {
    this.headersAt = at;
    this.lastActivityAt = at;
    this.status = status;
  }

  /** One content chunk arrived at `at`. */
  token(at: number): void {
    if (this.chunks === 0) {
      this.firstTokenAt = at;
    } else {
      const gap = at - this.lastTokenAt;
      this.gapSum += gap;
      const sinks = this.sinks.itl;
      for (let i = 0; i < sinks.length; i++) sinks[i]!.recordMs(gap);
    }
    this.lastTokenAt = at;
    this.chunks++;
    this.sinks.onTokens(1);
  }

  /** The driver tells reasoning, answer and tool calls apart: their counts start at 0 instead of null. */
  tellsKinds(): void {
    this.reasoningTokens ??= 0;
    this.toolCallCount ??= 0;
  }

  /** A reasoning token arrived at `at`: a token for TTFT and ITL, but not the answer. */
  reasoning(at: number): void {
    this.token(at);
    this.reasoningChunks++;
    if (this.usageReasoningTokens === null) this.reasoningTokens = this.reasoningChunks;
  }

  /** An answer token (content or tool call) arrived at `at`; the first sets the time to first content. */
  answer(at: number): void {
    this.token(at);
    if (this.firstAnswerAt === 0) this.firstAnswerAt = at;
  }

  /** `count` tool calls began (a delta opening each with its id). */
  toolCallsStarted(count: number): void {
    this.toolCallCount = (this.toolCallCount ?? 0) + count;
  }

  /** The server's reasoning-token figure (OpenAI's usage.completion_tokens_details.reasoning_tokens). */
  usageReasoning(tokens: number): void {
    this.usageReasoningTokens = tokens;
    this.reasoningTokens = tokens;
  }

  /** A token's publish-to-receive delay, ms (session: the payload's publish time against its arrival). */
  delivered(ms: number): void {
    const sinks = this.sinks.delivery;
    if (!sinks) return;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.recordMs(ms);
  }

  /**
   * The server's own token counts. When it is known to send one token per chunk (`exact`), its
   * completion count is also what should have arrived, so any shortfall is token loss.
   */
  usage(promptTokens: number | null, completionTokens: number | null, exact: boolean): void {
    if (promptTokens !== null) this.usagePromptTokens = promptTokens;
    if (completionTokens !== null) {
      this.usageCompletionTokens = completionTokens;
      if (exact) this.expectedTokens = completionTokens;
    }
  }

  /** A protocol-specific latency of this request, ms (a later value for the same name replaces it). */
  measure(name: MeasuredMetricName, ms: number): void {
    (this.measures ??= new Map()).set(name, ms);
  }

  /** Whether a protocol-specific step of this request succeeded (counted even when the request failed). */
  outcome(name: OutcomeMetricName, succeeded: boolean): void {
    (this.outcomes ??= new Map()).set(name, succeeded);
  }

  /** Record the first failure only: later errors are consequences of it. */
  fail(errorClass: ErrorClassName, message: string): void {
    if (this.errorClass !== null) return;
    this.errorClass = errorClass;
    this.errorMessage = message;
  }

  get ok(): boolean {
    return this.errorClass === null;
  }

  /** Text of the response, where the run keeps it (receivedText not null). */
  text(piece: string): void {
    if (this.receivedText !== null) this.receivedText += piece;
  }

  /** An answer token carrying `piece` of the answer's text: counted, and its text kept where the run keeps it. */
  answerText(at: number, piece: string): void {
    this.answer(at);
    this.text(piece);
    this.reply(piece);
  }

  /** A piece of the answer's text, where the run keeps it (replyText not null). */
  reply(piece: string): void {
    if (this.replyText !== null) this.replyText += piece;
  }

  /**
   * A piece of the answer's tool call number `index` (0-based, in the order the calls opened), where
   * the run keeps the reply: its id and name when the piece opens it, and a piece of its arguments.
   */
  replyToolCall(index: number, id: string | undefined, name: string | undefined, argumentsPiece: string): void {
    const calls = this.replyToolCalls;
    if (calls === null) return;
    const call = (calls[index] ??= { id: "", name: "", arguments: "" });
    if (id) call.id = id;
    if (name) call.name = name;
    call.arguments += argumentsPiece;
  }

  /** Tokens of this response: the server's usage figure, else the tokenizer's count, else counted chunks. */
  get tokens(): number {
    return this.usageCompletionTokens ?? this.textTokens ?? this.chunks;
  }

  /** Where `tokens` came from. */
  get tokensSource(): "usage" | "tokenizer" | "chunks" {
    return this.usageCompletionTokens !== null ? "usage" : this.textTokens !== null ? "tokenizer" : "chunks";
  }

  get tokensLost(): number {
    const expected = this.expectedTokens ?? null;
    if (expected === null) return 0;
    return Math.max(0, expected - this.chunks);
  }

  get meanGapMs(): number | null {
    return this.chunks > 1 ? this.gapSum / (this.chunks - 1) : null;
  }
}
