// Figures of a streaming-overhead measurement, and the tally that folds each stream in as it ends:
// one gap histogram shared by all streams (fed by the traces as tokens arrive), sums for the means,
// and the worst stream so far. No per-token sample is kept.
import type { ErrorClassName } from "../errors.js";
import { LatencyHistogram } from "../metrics/histogram.js";
import type { RequestTrace, TokenSinks } from "../metrics/trace.js";
import type { OverheadProtocol } from "./options.js";

/** What one stream, or all streams together, delivered. Times in milliseconds. */
export interface StreamFigures {
  receivedTokens: number;
  /** Tokens asked for (max_tokens, times the streams for the aggregate). */
  expectedTokens: number;
  /** Tokens asked for and never received. */
  tokenLoss: number;
  /** From the request write to the end of the stream (first write to last end for the aggregate). */
  totalStreamingTimeMs: number;
  /** (last arrival − first arrival) / (received − 1); null with fewer than two tokens. */
  meanReceiveIntervalMs: number | null;
  /** meanReceiveIntervalMs − frequencyMs: what the server's pipeline adds to each token. */
  overheadMs: number | null;
  throughputTokensPerSecond: number;
}

export interface GapPercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Distribution of the gaps between consecutive tokens of a stream, all streams together, ms. */
export interface GapFigures extends GapPercentiles {
  count: number;
  min: number;
  mean: number;
}

/** The outcome of measureStreamingOverhead: aggregate figures over every stream, plus the worst stream. */
export interface OverheadResult extends StreamFigures {
  target: string;
  protocol: OverheadProtocol;
  tokensPerStream: number;
  frequencyMs: number;
  concurrency: number;
  gaps: GapFigures;
  /** The gap percentiles minus frequencyMs: how far tokens strayed from the server's cadence. */
  jitter: GapPercentiles;
  /** The stream with the highest overhead (the only stream when concurrency is 1). */
  worstStream: StreamFigures;
  streamsWithLoss: number;
  /** Failed streams by class (truncated, timeout_idle, http_500...). */
  errors: Partial<Record<ErrorClassName, number>>;
  /** `class: message` of the first failure, or null. */
  firstError: string | null;
  /**
   * Why the check fails against a per-token overhead limit (ms): token loss, the worst stream's
   * overhead above the limit, streams that failed. Empty when it passes.
   */
  failures(maxOverheadMs: number): string[];
  /** No token lost, no stream failed, and no stream added more than `maxOverheadMs` per token. */
  passed(maxOverheadMs: number): boolean;
}

type Figures = Omit<OverheadResult, "failures" | "passed">;

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function figuresOf(received: number, expected: number, totalMs: number, spanMs: number, intervals: number, frequencyMs: number): StreamFigures {
  const mean = intervals > 0 ? spanMs / intervals : null;
  return {
    receivedTokens: received,
    expectedTokens: expected,
    tokenLoss: Math.max(0, expected - received),
    totalStreamingTimeMs: totalMs,
    meanReceiveIntervalMs: mean,
    overheadMs: mean === null ? null : mean - frequencyMs,
    throughputTokensPerSecond: totalMs > 0 ? received / (totalMs / 1000) : 0,
  };
}

function failuresOf(figures: Figures, maxOverheadMs: number): string[] {
  const reasons: string[] = [];
  const several = figures.concurrency > 1;
  if (figures.tokenLoss > 0) {
    const where = several ? ` in ${figures.streamsWithLoss} of ${figures.concurrency} streams` : "";
    const cause = figures.firstError ? ` (${figures.firstError})` : "";
    reasons.push(`token loss: ${figures.tokenLoss} of ${figures.expectedTokens} tokens missing${where}${cause}`);
  } else if (figures.firstError) {
    reasons.push(`a stream failed after its last token (${figures.firstError})`);
  }
  const worst = figures.worstStream.overheadMs;
  if (worst === null) {
    reasons.push("overhead not measured: no stream received two tokens");
  } else if (worst > maxOverheadMs) {
    const which = several ? ` (worst of ${figures.concurrency} streams)` : "";
    reasons.push(`overhead ${worst.toFixed(2)} ms per token${which} > ${maxOverheadMs} ms`);
  }
  return reasons;
}

export class OverheadTally {
  /** Handed to every stream's trace, which records each gap as the token arrives. */
  readonly sinks: TokenSinks;
  private readonly gaps = new LatencyHistogram();
  private received = 0;
  private spanMs = 0;
  private intervals = 0;
  private firstSentAt = Infinity;
  private lastEndAt = -Infinity;
  private streams = 0;
  private streamsWithLoss = 0;
  private answered = 0;
  private readonly errors: Partial<Record<ErrorClassName, number>> = {};
  private firstError: string | null = null;
  private worst: StreamFigures | null = null;

  constructor(
    private readonly tokensPerStream: number,
    private readonly frequencyMs: number,
  ) {
    this.sinks = { itl: [this.gaps], onTokens: () => undefined };
  }

  /** Fold in one stream that has ended, one way or another. */
  add(trace: RequestTrace): void {
    const received = trace.chunks;
    const startedAt = trace.sentAt || trace.dispatchedAt;
    const spanMs = received > 1 ? trace.lastTokenAt - trace.firstTokenAt : 0;
    const stream = figuresOf(received, this.tokensPerStream, trace.endAt - startedAt, spanMs, Math.max(0, received - 1), this.frequencyMs);
    this.streams++;
    this.received += received;
    this.spanMs += spanMs;
    this.intervals += Math.max(0, received - 1);
    this.firstSentAt = Math.min(this.firstSentAt, startedAt);
    this.lastEndAt = Math.max(this.lastEndAt, trace.endAt);
    if (stream.tokenLoss > 0) this.streamsWithLoss++;
    if (trace.status !== null && trace.status >= 200 && trace.status < 300) this.answered++;
    if (trace.errorClass !== null) {
      this.errors[trace.errorClass] = (this.errors[trace.errorClass] ?? 0) + 1;
      this.firstError ??= `${trace.errorClass}: ${trace.errorMessage ?? "no message"}`;
    }
    if (this.worst === null || (stream.overheadMs ?? -Infinity) > (this.worst.overheadMs ?? -Infinity)) this.worst = stream;
  }

  /** False while no stream got a successful response: then there is nothing to measure. */
  get anyAnswered(): boolean {
    return this.answered > 0;
  }

  get firstFailure(): string | null {
    return this.firstError;
  }

  result(target: string, protocol: OverheadProtocol): OverheadResult {
    const aggregate = figuresOf(
      this.received,
      this.tokensPerStream * this.streams,
      this.streams > 0 ? this.lastEndAt - this.firstSentAt : 0,
      this.spanMs,
      this.intervals,
      this.frequencyMs,
    );
    const { count, min, mean, p50, p90, p99, max } = this.gaps.summary();
    const offCadence = (gapMs: number): number => round3(gapMs - this.frequencyMs);
    const figures: Figures = {
      ...aggregate,
      target,
      protocol,
      tokensPerStream: this.tokensPerStream,
      frequencyMs: this.frequencyMs,
      concurrency: this.streams,
      gaps: { count, min, mean, p50, p90, p99, max },
      jitter: { p50: offCadence(p50), p90: offCadence(p90), p99: offCadence(p99), max: offCadence(max) },
      worstStream: this.worst ?? figuresOf(0, this.tokensPerStream, 0, 0, 0, this.frequencyMs),
      streamsWithLoss: this.streamsWithLoss,
      errors: { ...this.errors },
      firstError: this.firstError,
    };
    return {
      ...figures,
      failures: (maxOverheadMs) => failuresOf(figures, maxOverheadMs),
      passed: (maxOverheadMs) => failuresOf(figures, maxOverheadMs).length === 0,
    };
  }
}
