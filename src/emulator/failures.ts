// Failure injection: what goes wrong with one request, decided once on arrival, either forced by the
// client (x-tokenstorm-fail) or drawn from the configured rates with a seeded generator so that a
// run with a fixed seed injects the same failures in the same order.

/** What a client may force with the x-tokenstorm-fail header. */
export type ForcedFailure =
  | { kind: "status"; status: number }
  | { kind: "disconnect" }
  | { kind: "truncate" }
  | { kind: "malformed" }
  | { kind: "stall" };

/** The fate of one request, with the token at which it strikes. */
export type FailurePlan =
  | { kind: "none" }
  | { kind: "status"; status: number }
  /** Destroy the socket once this many tokens were written. */
  | { kind: "disconnect"; afterTokens: number }
  /** End the response cleanly, without its end marker, once this many tokens were written. */
  | { kind: "truncate"; afterTokens: number }
  /** Token at this index goes out as invalid JSON; the stream otherwise completes. */
  | { kind: "malformed"; atToken: number }
  /** Headers and the first token, then silence until the client gives up. */
  | { kind: "stall" };

/** Parse an x-tokenstorm-fail value; undefined when it is not one of the accepted forms. */
export function parseForcedFailure(value: string): ForcedFailure | undefined {
  const trimmed = value.trim().toLowerCase();
  switch (trimmed) {
    case "disconnect":
    case "truncate":
    case "malformed":
    case "stall":
      return { kind: trimmed };
  }
  if (!/^\d{3}$/.test(trimmed)) return undefined;
  const status = Number(trimmed);
  return status >= 400 && status <= 599 ? { kind: "status", status } : undefined;
}

export interface FailureRates {
  errorRate: number;
  errorStatuses: readonly number[];
  disconnectRate: number;
  truncateRate: number;
}

export class FailureInjector {
  constructor(
    private readonly rates: FailureRates,
    private readonly random: () => number,
  ) {}

  /**
   * One uniform draw is split into [error | disconnect | truncate | none] bands, so each configured
   * rate is exactly the fraction of all requests it affects.
   */
  plan(tokens: number, forced: ForcedFailure | undefined): FailurePlan {
    const half = Math.max(1, Math.floor(tokens / 2));
    if (forced) {
      switch (forced.kind) {
        case "status":
          return forced;
        case "disconnect":
        case "truncate":
          return { kind: forced.kind, afterTokens: half };
        case "malformed":
          return { kind: "malformed", atToken: Math.floor(tokens / 2) };
        case "stall":
          return forced;
      }
    }
    const { errorRate, errorStatuses, disconnectRate, truncateRate } = this.rates;
    if (errorRate + disconnectRate + truncateRate === 0) return { kind: "none" };
    const draw = this.random();
    if (draw < errorRate) {
      const status = errorStatuses[Math.floor(this.random() * errorStatuses.length)]!;
      return { kind: "status", status };
    }
    if (draw < errorRate + disconnectRate) return { kind: "disconnect", afterTokens: this.midStreamToken(tokens) };
    if (draw < errorRate + disconnectRate + truncateRate) {
      return { kind: "truncate", afterTokens: this.midStreamToken(tokens) };
    }
    return { kind: "none" };
  }

  /** A token count in [1, tokens - 1]: at least one token arrives and at least one is missing. */
  private midStreamToken(tokens: number): number {
    if (tokens <= 2) return 1;
    return 1 + Math.floor(this.random() * (tokens - 1));
  }
}

/** Damage one JSON frame by dropping its last closing brace: still framed, no longer parseable. */
export function malformJson(frame: string): string {
  const brace = frame.lastIndexOf("}");
  return brace < 0 ? frame : frame.slice(0, brace) + frame.slice(brace + 1);
}
