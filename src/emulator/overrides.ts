// Per-request overrides sent as headers by tokenstorm's own client, so one emulator can serve
// requests with different timing or a forced failure without a restart.
import type { IncomingHttpHeaders } from "node:http";
import { type ForcedFailure, parseForcedFailure } from "./failures.js";
import { InvalidRequest } from "./http.js";

export const OVERRIDE_HEADERS = {
  ttftMs: "x-tokenstorm-ttft-ms",
  itlMs: "x-tokenstorm-itl-ms",
  fail: "x-tokenstorm-fail",
  reasoningTokens: "x-tokenstorm-reasoning-tokens",
  toolCall: "x-tokenstorm-tool-call",
} as const;

export interface RequestOverrides {
  ttftMs?: number;
  itlMs?: number;
  fail?: ForcedFailure;
  /** Reasoning tokens before the answer, instead of --reasoning-tokens. */
  reasoningTokens?: number;
  /** Whether a request offering tools gets a tool call, instead of the --tool-call-rate draw. */
  toolCall?: boolean;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function delayHeader(headers: IncomingHttpHeaders, name: string): number | undefined {
  const raw = headerValue(headers, name);
  if (raw === undefined) return undefined;
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidRequest(`header ${name} must be a number >= 0 (got "${raw}")`);
  }
  return value;
}

/** Read the override headers; an invalid value is the client's error (400). */
export function parseOverrides(headers: IncomingHttpHeaders): RequestOverrides {
  const overrides: RequestOverrides = {};
  const ttftMs = delayHeader(headers, OVERRIDE_HEADERS.ttftMs);
  if (ttftMs !== undefined) overrides.ttftMs = ttftMs;
  const itlMs = delayHeader(headers, OVERRIDE_HEADERS.itlMs);
  if (itlMs !== undefined) overrides.itlMs = itlMs;
  const reasoningRaw = headerValue(headers, OVERRIDE_HEADERS.reasoningTokens);
  if (reasoningRaw !== undefined) {
    const value = reasoningRaw.trim() === "" ? NaN : Number(reasoningRaw);
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidRequest(`header ${OVERRIDE_HEADERS.reasoningTokens} must be an integer >= 0 (got "${reasoningRaw}")`);
    }
    overrides.reasoningTokens = value;
  }
  const toolCallRaw = headerValue(headers, OVERRIDE_HEADERS.toolCall);
  if (toolCallRaw !== undefined) {
    const value = toolCallRaw.trim();
    if (value !== "1" && value !== "0") throw new InvalidRequest(`header ${OVERRIDE_HEADERS.toolCall} must be 1 or 0 (got "${toolCallRaw}")`);
    overrides.toolCall = value === "1";
  }
  const failRaw = headerValue(headers, OVERRIDE_HEADERS.fail);
  if (failRaw !== undefined) {
    const fail = parseForcedFailure(failRaw);
    if (!fail) {
      throw new InvalidRequest(
        `header ${OVERRIDE_HEADERS.fail} must be an HTTP status from 400 to 599 or one of disconnect, truncate, malformed, stall (got "${failRaw}")`,
      );
    }
    overrides.fail = fail;
  }
  return overrides;
}
