// Error classes with stable codes, in one place. Two families:
// - UsageError / RunError end the process with exit code 2 or 1 and a one-line message;
// - RequestError classes (ErrorClass) label a failed request in the report; they are data, not crashes.

/** Exit codes of the command line (PRODUCT.md contract). */
export const ExitCode = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  thresholdFailed: 99,
} as const;

/** A bad flag, value or config file: exit 2 with one line naming the flag or file:line:col. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The run could not be carried out (e.g. the embedded emulator failed to start): exit 1. */
export class RunError extends Error {
  readonly exitCode = ExitCode.runFailed;
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * Classes of request failure as they appear under `errors` in the report. `http_<status>` is
 * built from the status code; every other class is listed here so reports stay comparable.
 */
export const ErrorClass = {
  /** TCP connection refused: nothing listens on the target. */
  refused: "refused",
  /** Host name could not be resolved. */
  dns: "dns",
  /** Connection reset by the peer before a response started. */
  reset: "reset",
  /** No response headers within the timeout. */
  timeoutHeaders: "timeout_headers",
  /** The stream stalled: no bytes within the idle timeout. */
  timeoutIdle: "timeout_idle",
  /** The whole request exceeded --timeout. */
  timeout: "timeout",
  /** The connection closed or failed in the middle of a stream. */
  streamAborted: "stream_aborted",
  /** The stream ended cleanly but without its end marker ([DONE], done:true). */
  truncated: "truncated",
  /** The server reported an error inside the stream (an `error` event or object). */
  serverError: "server_error",
  /** A payload that could not be parsed as the protocol requires. */
  malformed: "malformed",
  /** The run was stopped (Ctrl-C, duration reached) while the request was in flight. */
  cancelled: "cancelled",
  /** Pub/sub (session): the gateway refused the subscription to the session's channel. */
  subscribeRejected: "subscribe_rejected",
  /** Pub/sub (session): a token arrived ahead of one still missing (a gap in the indexes). */
  outOfOrder: "out_of_order",
  /** Pub/sub (session): a token index arrived a second time. */
  duplicateToken: "duplicate_token",
  /** Voice: the agent did not behave as the scenario expects (no audio, no tool call, barge-in ignored...); the raw message says how. */
  scenarioUnmet: "scenario_unmet",
  /**
   * Voice: the client's barge-in or false-alarm noise came only after the agent's response had ended
   * (its end was already received): the client read the audio too late to act inside it, a saturated
   * load generator, so the scenario could not be exercised. Not the agent's fault.
   */
  lateInterruption: "late_interruption",
  /** Anything else; the message is kept in the raw results. */
  other: "other",
} as const;

export type ErrorClassName = (typeof ErrorClass)[keyof typeof ErrorClass] | `http_${number}` | `grpc_${string}`;

export function httpErrorClass(status: number): ErrorClassName {
  return `http_${status}`;
}

/** A gRPC status the server ended a call with, by name: `grpc_unavailable`, `grpc_resource_exhausted`... */
export function grpcErrorClass(statusName: string): ErrorClassName {
  return `grpc_${statusName.toLowerCase()}`;
}

/** A failure of one request, carrying its class; thrown or passed inside drivers. */
export class RequestFailure extends Error {
  constructor(
    readonly errorClass: ErrorClassName,
    message: string,
  ) {
    super(message);
    this.name = "RequestFailure";
  }
}

/** Map a low-level (socket, undici) error to an error class. */
export function classifyError(err: unknown): ErrorClassName {
  if (err instanceof RequestFailure) return err.errorClass;
  const code = (err as { code?: string } | null)?.code ?? "";
  const cause = (err as { cause?: { code?: string } } | null)?.cause?.code ?? "";
  const c = code || cause;
  switch (c) {
    case "ECONNREFUSED":
      return ErrorClass.refused;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return ErrorClass.dns;
    case "ECONNRESET":
    case "EPIPE":
      return ErrorClass.reset;
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
      return ErrorClass.timeoutHeaders;
    case "UND_ERR_BODY_TIMEOUT":
      return ErrorClass.timeoutIdle;
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return ErrorClass.streamAborted;
    case "UND_ERR_ABORTED":
      return ErrorClass.cancelled;
    default:
      return ErrorClass.other;
  }
}
