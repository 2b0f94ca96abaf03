// gRPC call outcomes as error classes. A status the gateway chose (UNAVAILABLE from an overloaded
// gateway, RESOURCE_EXHAUSTED...) keeps its name as `grpc_<status>`; failures that grpc-js reports
// as a status but that are really the transport's (nothing listening, no such host, a dropped
// connection, our own deadline) get the transport classes every other protocol uses, so reports
// across protocols compare.
import type { ServiceError } from "@grpc/grpc-js";
import { ErrorClass, grpcErrorClass, type ErrorClassName } from "../../errors.js";
import { grpcJs } from "./grpc-modules.js";

/** Details grpc-js writes when it never got a connection, or lost it; matched by their system error codes. */
const REFUSED = /ECONNREFUSED/;
const DNS = /ENOTFOUND|EAI_AGAIN|DNS resolution failed|Name resolution failed/i;
const DROPPED = /ECONNRESET|EPIPE|Connection dropped|GOAWAY|Stream refused|RST_STREAM/i;
/** grpc-js passes on Node's TLS messages (grpcs://): the certificate not trusted, naming another host, a failed handshake. */
const TLS_UNTRUSTED = /self[- ]signed certificate|unable to verify|unable to get (local )?issuer|certificate has expired|certificate is not yet valid/i;
const TLS_HOSTNAME = /does not match certificate's altnames/i;
const TLS_HANDSHAKE = /ssl routines|alert|handshake|certificate required|wrong version number/i;

export function grpcStatusName(code: number): string {
  return (grpcJs().status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/**
 * Classify a call that ended with a non-OK status. `midStream`: server events had already arrived,
 * so a transport failure cut a conversation short rather than preventing it.
 */
export function classifyGrpcError(err: Pick<ServiceError, "code" | "details">, midStream: boolean): ErrorClassName {
  const details = err.details ?? "";
  const GrpcStatus = grpcJs().status;
  switch (err.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return ErrorClass.timeout;
    case GrpcStatus.UNAVAILABLE:
      if (REFUSED.test(details)) return ErrorClass.refused;
      if (DNS.test(details)) return ErrorClass.dns;
      if (TLS_UNTRUSTED.test(details)) return ErrorClass.tlsUntrusted;
      if (TLS_HOSTNAME.test(details)) return ErrorClass.tlsHostname;
      if (TLS_HANDSHAKE.test(details)) return ErrorClass.tlsHandshake;
      if (DROPPED.test(details)) return midStream ? ErrorClass.streamAborted : ErrorClass.reset;
      return grpcErrorClass(grpcStatusName(err.code));
    case GrpcStatus.INTERNAL:
      // grpc-js's own words when a message does not decode against the proto.
      if (/parse|deserializ/i.test(details)) return ErrorClass.malformed;
      return grpcErrorClass(grpcStatusName(err.code));
    default:
      return grpcErrorClass(grpcStatusName(err.code));
  }
}
