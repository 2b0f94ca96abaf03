// Failure injection of the emulated gRPC gateway beyond the random rates: what a client forces with
// the emulator's `x-tokenstorm-fail` header (sent as call metadata), and the connection drop itself.
import type * as grpc from "@grpc/grpc-js";
import type { ForcedVoiceFailure } from "../../voice/agent.js";
import { grpcJs } from "./grpc-modules.js";

export type ForcedCallFailure = { kind: "status"; code: number; details: string } | { kind: "agent"; failure: ForcedVoiceFailure };

/** HTTP statuses as gRPC codes, by gRPC's own HTTP-to-gRPC mapping (so the HTTP suites' hints carry over). */
function statusForHttp(http: number): number {
  const { status } = grpcJs();
  switch (http) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}

/**
 * `x-tokenstorm-fail` of a call: a gRPC status name (`unavailable`, `resource_exhausted`...) or an
 * HTTP status refuses the call; `disconnect`, `stall` and `error` apply to every response.
 */
export function forcedFailureOf(metadata: grpc.Metadata): ForcedCallFailure | null {
  const raw = metadata.get("x-tokenstorm-fail")[0];
  if (typeof raw !== "string") return null;
  const value = raw.trim().toLowerCase();
  if (value === "disconnect") return { kind: "agent", failure: "drop" };
  if (value === "stall" || value === "error") return { kind: "agent", failure: value };
  const details = `forced by x-tokenstorm-fail: ${raw}`;
  if (/^[45]\d\d$/.test(value)) return { kind: "status", code: statusForHttp(Number(value)), details };
  const code = (grpcJs().status as unknown as Record<string, number | undefined>)[value.toUpperCase()];
  return typeof code === "number" && code !== 0 ? { kind: "status", code, details } : null;
}

interface Http2SessionLike {
  destroy(): void;
}

/**
 * Drop the TCP connection a call came over, as a crashing gateway would: the client sees its stream
 * cut, not a status. grpc-js offers no public way to do this, so the call's HTTP/2 session is reached
 * through its internals; when they change shape the call ends with ABORTED instead.
 */
export function dropConnection(call: grpc.ServerDuplexStream<unknown, unknown>): boolean {
  let node: unknown = (call as unknown as { call?: unknown }).call;
  for (let depth = 0; depth < 4 && node; depth++) {
    const session = (node as { stream?: { session?: Http2SessionLike } }).stream?.session;
    if (session && typeof session.destroy === "function") {
      session.destroy();
      return true;
    }
    node = (node as { nextCall?: unknown }).nextCall;
  }
  return false;
}
