// Options of the streaming-overhead check (seed 004), their defaults, and the checks that
// measureStreamingOverhead applies before it opens a single connection.
import { UsageError } from "../errors.js";

/**
 * Protocols whose servers send one token per chunk and exactly max_tokens of them, so that chunk
 * gaps are token gaps and a short count is token loss.
 */
export const OVERHEAD_PROTOCOLS = ["ndjson", "openai-completions", "openai-chat"] as const;
export type OverheadProtocol = (typeof OVERHEAD_PROTOCOLS)[number];

/** Seed 004's defaults: 2048 tokens, one every 20 ms, at most 3 ms added per token. */
export const OVERHEAD_DEFAULTS = {
  tokens: 2048,
  frequencyMs: 20,
  maxOverheadMs: 3,
  protocol: "ndjson",
  concurrency: 1,
  model: "tokenstorm-emulator",
} as const;

/** What to measure. */
export interface OverheadOptions {
  /** Base URL of the server under test, e.g. `"http://127.0.0.1:8000"`. */
  target: string;
  /** Tokens asked for per stream (`max_tokens`); the server must send exactly this many. At least 2. */
  tokens: number;
  /** Milliseconds the server waits before each token; overhead is the receive interval minus this. */
  frequencyMs: number;
  /** Wire protocol; default `"ndjson"` (seed 004). */
  protocol?: OverheadProtocol;
  /** Streams run at once; default 1. */
  concurrency?: number;
  /** Model name sent with each request; default `"tokenstorm-emulator"`. */
  model?: string;
  /** Extra request headers (auth, or tokenstorm emulator overrides such as `x-tokenstorm-fail`). */
  headers?: Record<string, string>;
  /** Limit on one whole stream, ms; default 30 s plus twice the stream's nominal length. */
  timeoutMs?: number;
}

export interface ResolvedOverheadOptions {
  target: URL;
  tokens: number;
  frequencyMs: number;
  protocol: OverheadProtocol;
  concurrency: number;
  model: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** A stream silent this long is stalled, ms. */
  idleTimeoutMs: number;
}

const BASE_TIMEOUT_MS = 30_000;
/** Silence worth ten token intervals on top of this is a stall, not a slow token. */
const BASE_IDLE_TIMEOUT_MS = 10_000;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function parseTarget(target: unknown): URL | undefined {
  if (typeof target !== "string") return undefined;
  try {
    const url = new URL(target);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Apply defaults and check every option; one UsageError names every bad one. */
export function resolveOverheadOptions(options: OverheadOptions): ResolvedOverheadOptions {
  const problems: string[] = [];
  const target = parseTarget(options.target);
  if (!target) problems.push(`target must be an http:// or https:// URL (got ${JSON.stringify(options.target)})`);
  if (!isPositiveInteger(options.tokens) || options.tokens < 2) {
    problems.push(`tokens must be an integer >= 2, one interval needs two tokens (got ${String(options.tokens)})`);
  }
  if (!isNonNegative(options.frequencyMs)) problems.push(`frequencyMs must be a number >= 0 (got ${String(options.frequencyMs)})`);
  const protocol = options.protocol ?? OVERHEAD_DEFAULTS.protocol;
  if (!OVERHEAD_PROTOCOLS.includes(protocol)) {
    problems.push(`protocol must be one of ${OVERHEAD_PROTOCOLS.join(", ")} (got ${String(protocol)})`);
  }
  const concurrency = options.concurrency ?? OVERHEAD_DEFAULTS.concurrency;
  if (!isPositiveInteger(concurrency)) problems.push(`concurrency must be an integer >= 1 (got ${String(concurrency)})`);
  if (options.timeoutMs !== undefined && !(isNonNegative(options.timeoutMs) && options.timeoutMs > 0)) {
    problems.push(`timeoutMs must be a number > 0 (got ${String(options.timeoutMs)})`);
  }
  if (problems.length > 0) throw new UsageError(`measureStreamingOverhead: ${problems.join("; ")}`);

  const nominalStreamMs = options.tokens * options.frequencyMs;
  return {
    target: target!,
    tokens: options.tokens,
    frequencyMs: options.frequencyMs,
    protocol,
    concurrency,
    model: options.model ?? OVERHEAD_DEFAULTS.model,
    // Lower-case names, so the emulator hints added later cannot duplicate a caller's header.
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    timeoutMs: options.timeoutMs ?? BASE_TIMEOUT_MS + 2 * nominalStreamMs,
    idleTimeoutMs: BASE_IDLE_TIMEOUT_MS + 10 * options.frequencyMs,
  };
}
