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
  /** TLS: the server's certificate is not trusted (unknown CA, self-signed, expired): see `--cacert` / `--insecure`. */
  tlsUntrusted: "tls_untrusted",
  /** TLS: the server's certificate does not name the target's host (subject alternative names). */
  tlsHostname: "tls_hostname",
  /** TLS: the handshake failed (a client certificate demanded or refused, no shared protocol or cipher, an alert). */
  tlsHandshake: "tls_handshake",
  /** No response headers within the timeout. */
  timeoutHeaders: "timeout_headers",
  /** The stream stalled: no bytes within the idle timeout. */
  timeoutIdle: "timeout_idle",
  /** A WebSocket opening handshake got no answer within --handshake-timeout. */
  timeoutHandshake: "timeout_handshake",
  /** The whole request exceeded --timeout. */
  timeout: "timeout",
  /** The connection closed or failed in the middle of a stream. */
  streamAborted: "stream_aborted",
  /** The stream ended cleanly but without its end marker ([DONE], done:true). */
  truncated: "truncated",
  /** The server reported an error inside the stream (an `error` event or object). */
  serverError: "server_error",
  /** The server said, inside the stream, that it is overloaded (Anthropic's `overloaded_error` event). */
  overloaded: "overloaded",
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

/** Certificate verification codes (OpenSSL's, as Node reports them) that mean the chain is not trusted. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
]);

/** The TLS class of an error code, or null when the code is not about TLS. */
export function tlsErrorClass(code: string): ErrorClassName | null {
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) return ErrorClass.tlsUntrusted;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return ErrorClass.tlsHostname;
  // ERR_SSL_*: OpenSSL's handshake errors and alerts (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED,
  // ERR_SSL_WRONG_VERSION_NUMBER...); EPROTO: the same from older paths; ERR_TLS_*: Node's own checks.
  if (code.startsWith("ERR_SSL_") || code === "EPROTO" || code.startsWith("ERR_TLS_")) return ErrorClass.tlsHandshake;
  return null;
}

/** Map a low-level (socket, undici) error to an error class. */
export function classifyError(err: unknown): ErrorClassName {
  if (err instanceof RequestFailure) return err.errorClass;
  const code = (err as { code?: string } | null)?.code ?? "";
  const cause = (err as { cause?: { code?: string } } | null)?.cause?.code ?? "";
  // undici wraps a socket's TLS error (UND_ERR_SOCKET with the TLS error as cause): the cause says more.
  const tls = tlsErrorClass(code) ?? tlsErrorClass(cause);
  if (tls !== null) return tls;
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
