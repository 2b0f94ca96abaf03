// Who may change a session: the publish and run APIs take an API key (as Centrifugo's HTTP API does:
// `Authorization: apikey KEY`, or `X-API-Key: KEY`; `Bearer KEY` too, as `run --api-key-env` sends),
// and a gateway may require a connection token in the client's connect command: an HMAC-SHA256 JWT
// (HS256, as Centrifugo's token_hmac_secret_key) whose `sub` is the user, with an optional `exp`.
// HS256 alone is two HMACs and a base64url codec: no library for that.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a request carries `apiKey` in one of the accepted forms. */
export function hasApiKey(req: IncomingMessage, apiKey: string): boolean {
  const authorization = req.headers.authorization ?? "";
  const scheme = /^(apikey|bearer)\s+(.+)$/i.exec(authorization.trim());
  if (scheme && sameSecret(scheme[2]!, apiKey)) return true;
  const header = req.headers["x-api-key"];
  return typeof header === "string" && sameSecret(header, apiKey);
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function signature(secret: string, signingInput: string): string {
  return createHmac("sha256", secret).update(signingInput).digest("base64url");
}

/** A connection token for user `sub`, valid `ttlS` seconds from `nowS`. */
export function signConnectionToken(secret: string, sub: string, ttlS: number, nowS = Math.floor(Date.now() / 1000)): string {
  const input = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify({ sub, exp: nowS + ttlS }))}`;
  return `${input}.${signature(secret, input)}`;
}

export type TokenCheck = { ok: true; user: string } | { ok: false; expired: boolean; reason: string };

/** Check a connection token against the gateway's secret. */
export function verifyConnectionToken(token: unknown, secret: string, nowS = Math.floor(Date.now() / 1000)): TokenCheck {
  if (typeof token !== "string" || token === "") return { ok: false, expired: false, reason: "no token" };
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, expired: false, reason: "not a JWT" };
  const [header, payload, signed] = parts as [string, string, string];
  if (!sameSecret(signed, signature(secret, `${header}.${payload}`))) return { ok: false, expired: false, reason: "bad signature" };
  let claims: { alg?: unknown; sub?: unknown; exp?: unknown };
  try {
    if ((JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: unknown }).alg !== "HS256") return { ok: false, expired: false, reason: "not HS256" };
    claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as typeof claims;
  } catch {
    return { ok: false, expired: false, reason: "unreadable claims" };
  }
  if (typeof claims.exp === "number" && claims.exp <= nowS) return { ok: false, expired: true, reason: "token expired" };
  return { ok: true, user: typeof claims.sub === "string" ? claims.sub : "" };
}
