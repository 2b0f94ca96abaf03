// What --target means for grpc-voice: `host:port` (seed 002's form, e.g. localhost:50051),
// `grpc://host:port`, or `grpcs://host:port` for TLS. Normalised to a URL so the rest of the run
// treats it like any other target; the port defaults to seed 002's 50051.
import type { Problems } from "../../config/values.js";

export const DEFAULT_GRPC_PORT = 50051;

/** The target as `grpc://host:port` / `grpcs://host:port`, or null after adding a problem. */
export function grpcTarget(problems: Problems, raw: string): string | null {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `grpc://${text}`;
  try {
    const url = new URL(withScheme);
    const pathless = url.pathname === "" || url.pathname === "/";
    if ((url.protocol !== "grpc:" && url.protocol !== "grpcs:") || url.hostname === "" || !pathless || url.search || url.hash) throw new Error("shape");
    return `${url.protocol}//${url.hostname.includes(":") && !url.hostname.startsWith("[") ? `[${url.hostname}]` : url.hostname}:${url.port || DEFAULT_GRPC_PORT}`;
  } catch {
    problems.add(`--target for grpc-voice must be host:port, grpc://host:port or grpcs://host:port (got "${raw}")`);
    return null;
  }
}

/** `host:port` for grpc-js from a normalised target URL. */
export function grpcAddress(target: URL): string {
  return `${target.hostname}:${target.port || DEFAULT_GRPC_PORT}`;
}
