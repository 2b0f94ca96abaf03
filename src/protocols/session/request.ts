// One session request on the client side: listens on its channel, checks every token's index
// (order, gaps, duplicates), and ends when both the POST has answered and the `done` publication
// has come, or on the first failure. It never throws: failures are classified on the trace.
import { ErrorClass, RequestFailure } from "../../errors.js";
import type { RequestTrace } from "../../metrics/trace.js";
import type { ChannelListener } from "./connection.js";
import { epochMs } from "./wire.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class SessionRequest implements ChannelListener {
  private nextIndex = 0;
  private postAnswered = false;
  private doneTokens: number | null = null;
  private settled = false;
  /** Aborted when the request ends: cancels the POST still in flight. */
  readonly abortPost = new AbortController();
  /** Resolves when the request has ended, one way or another. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    readonly trace: RequestTrace,
    /** Tokens asked for; null leaves it to the server's reply. */
    private readonly asked: number | null,
    private readonly onSettled: (request: SessionRequest) => void,
  ) {
    trace.expectedTokens = asked;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get isSettled(): boolean {
    return this.settled;
  }

  publication(data: unknown, at: number): void {
    if (this.settled) return;
    this.trace.lastActivityAt = at;
    if (!isRecord(data)) return this.fail(new RequestFailure(ErrorClass.malformed, `publication data is not an object: ${JSON.stringify(data)?.slice(0, 80)}`), at);
    if (data["done"] === true) {
      const tokens = data["tokens"];
      this.doneTokens = typeof tokens === "number" ? tokens : this.trace.chunks;
      return this.maybeEnd(at);
    }
    const index = data["i"];
    if (index === undefined) {
      // A server that does not number its tokens: counted, not checked.
      this.trace.token(at);
      return;
    }
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0) {
      return this.fail(new RequestFailure(ErrorClass.malformed, `token index is not an integer >= 0: ${JSON.stringify(index)}`), at);
    }
    if (index < this.nextIndex) {
      this.trace.fail(ErrorClass.duplicateToken, `token ${index} arrived again (expected ${this.nextIndex})`);
      return;
    }
    if (index > this.nextIndex) {
      this.trace.fail(ErrorClass.outOfOrder, `token ${index} arrived while ${this.nextIndex} was still missing`);
    }
    this.nextIndex = index + 1;
    this.trace.token(at);
    const publishedAt = data["ts"];
    if (typeof publishedAt === "number") this.trace.delivered(epochMs(at) - publishedAt);
  }

  closed(failure: RequestFailure): void {
    if (this.settled) return;
    // Before any answer the connection was lost while setting the request up.
    const started = this.trace.headersAt > 0 || this.trace.chunks > 0;
    this.fail(started ? failure : new RequestFailure(ErrorClass.reset, failure.message), this.trace.lastActivityAt);
  }

  /** The POST /api/run answered 2xx; `tokens` is the count the server promised, if it said. */
  postOk(tokens: number | null, at: number): void {
    this.postAnswered = true;
    if (this.asked === null && tokens !== null) this.trace.expectedTokens = tokens;
    this.maybeEnd(at);
  }

  fail(failure: RequestFailure, at: number): void {
    if (this.settled) return;
    this.trace.fail(failure.errorClass, failure.message);
    this.settle(at);
  }

  private maybeEnd(at: number): void {
    if (!this.postAnswered || this.doneTokens === null || this.settled) return;
    const expected = this.trace.expectedTokens ?? this.doneTokens;
    this.trace.expectedTokens = expected;
    if (this.trace.chunks < expected) {
      this.trace.fail(ErrorClass.truncated, `session ended after ${this.trace.chunks} of ${expected} tokens`);
    }
    // Seed 000's request latency runs from the POST to the last token.
    this.settle(this.trace.lastTokenAt > 0 ? this.trace.lastTokenAt : at);
  }

  private settle(at: number): void {
    this.settled = true;
    this.trace.endAt = at;
    this.abortPost.abort();
    this.resolveFinished();
    this.onSettled(this);
  }
}
