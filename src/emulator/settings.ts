// The emulator's settings as a zod schema: each plain-valued option with the `emulate` flag that sets
// it, one line of help and its default. The rules and defaults are ./options.ts's, which startEmulator
// applies without zod (see there why); this schema states them for the command line and its help.
import { z } from "zod/v3";
import { described, describeSettings, problemLine, refuse, shown, switchSetting } from "../config/settings.js";
import {
  crossOptionLine,
  crossOptionProblems,
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  NUMERIC_OPTION_RULES,
  type NumericOptionName,
  requirementOf,
  satisfiesRule,
  TEXT_MODES,
  type TextMode,
} from "./options.js";

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number as `emulate` takes it on the command line: decimal notation only (no hex, no Infinity); NaN otherwise. */
export function numberFromText(raw: string): number {
  return DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
}

/** `schema` with its flag, description and the default options.ts gives `option`, if any. */
function withDefault<T extends z.ZodTypeAny>(schema: T, option: keyof EmulatorOptions, flag: string, description: string): T {
  const defaultValue = (EMULATOR_DEFAULTS as EmulatorOptions)[option];
  return described(schema, { flag, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}

/** A numeric option, as text (the command line) or a number (the API), checked by its rule in options.ts. */
function numberOption(option: NumericOptionName, flag: string, description: string) {
  const rule = NUMERIC_OPTION_RULES[option];
  const message = (raw: unknown) => `${flag} ${requirementOf(rule)} (got ${shown(raw)})`;
  const schema = z
    .union([z.string(), z.number()], problemLine(message))
    .optional()
    .transform((raw, ctx): number | undefined => {
      if (raw === undefined) return undefined;
      const value = typeof raw === "number" ? raw : numberFromText(raw);
      return satisfiesRule(value, rule) ? value : refuse(ctx, message(raw));
    });
  return withDefault(schema, option, flag, description);
}

/** Statuses for injected errors: comma-separated text or a list of numbers, each 400-599. */
function errorStatusesOption(flag: string, description: string) {
  const message = (raw: unknown) => `${flag} ${requirementOf("errorStatus")} (got ${shown(raw)})`;
  const schema = z
    .union([z.string(), z.array(z.number())], problemLine(message))
    .optional()
    .transform((raw, ctx): number[] | undefined => {
      if (raw === undefined) return undefined;
      const statuses = typeof raw === "string" ? raw.split(",").map(numberFromText) : raw;
      return statuses.length > 0 && statuses.every((status) => satisfiesRule(status, "errorStatus")) ? statuses : refuse(ctx, message(raw));
    });
  return withDefault(schema, "errorStatuses", flag, description);
}

function textModeOption(flag: string, description: string) {
  const message = (raw: unknown) => `${flag} must be one of ${TEXT_MODES.join(", ")} (got ${shown(raw)})`;
  const schema = z
    .string(problemLine(message))
    .optional()
    .transform((raw, ctx): TextMode | undefined => {
      return raw === undefined || TEXT_MODES.includes(raw as TextMode) ? (raw as TextMode | undefined) : refuse(ctx, message(raw));
    });
  return withDefault(schema, "text", flag, description);
}

/** A name or path that must not be blank. */
function nameOption(option: "host" | "model" | "tokenizer", flag: string, description: string) {
  const message = (raw: unknown) => `${flag} must not be empty (got ${shown(raw)})`;
  const schema = z
    .string(problemLine(message))
    .optional()
    .refine((raw) => raw === undefined || raw.trim() !== "", (raw) => ({ message: message(raw) }));
  return withDefault(schema, option, flag, description);
}

function switchOption(option: "ndjsonCompletions" | "session" | "http2", flag: string, description: string) {
  return switchSetting(flag, description, EMULATOR_DEFAULTS[option]);
}

/**
 * Every emulator option that is one plain value and has an `emulate` flag. The rest are built by the
 * command from several flags or files (tls, sessionApiKey), belong to the voice agent's own settings
 * (src/voice/options.ts), or are the API's alone (warmUp, realtimeOnDemand).
 */
export const emulatorSettings = z.object({
  host: nameOption("host", "--host", "interface to listen on"),
  port: numberOption("port", "--port", "port to listen on, 0 for a free one"),
  ttftMs: numberOption("ttftMs", "--ttft-ms", "time to first token"),
  itlMs: numberOption("itlMs", "--itl-ms", "delay between tokens"),
  jitter: numberOption("jitter", "--jitter", "each delay varies by up to this fraction of itself, either way"),
  length: numberOption("length", "--length", "tokens per response when the request sets no max_tokens"),
  maxRequestTokens: numberOption("maxRequestTokens", "--max-request-tokens", "the most tokens one request may ask for; more is answered 400"),
  text: textModeOption("--text", `response words: ${TEXT_MODES.join("|")}`),
  errorRate: numberOption("errorRate", "--error-rate", "fraction of requests answered with an error status"),
  errorStatuses: errorStatusesOption("--error-status", "comma-separated statuses for injected errors"),
  disconnectRate: numberOption("disconnectRate", "--disconnect-rate", "fraction of streams whose socket is destroyed mid-stream"),
  truncateRate: numberOption("truncateRate", "--truncate-rate", "fraction of streams ended early without an end marker"),
  maxRunning: numberOption("maxRunning", "--max-running", "generations at once, further requests queue; 0 = unlimited"),
  maxWaiting: numberOption("maxWaiting", "--max-waiting", "queue length beyond which requests get 429 (default unlimited)"),
  slowdownUnderLoad: numberOption("slowdownUnderLoad", "--slowdown-under-load", "ITL grows by this factor × (running - 1)"),
  extraDelayPerTokenMs: numberOption("extraDelayPerTokenMs", "--extra-delay-ms", "added to every inter-token delay"),
  prefillMsPer1k: numberOption("prefillMsPer1k", "--prefill-ms-per-1k", "prefill cost: TTFT grows by ms per 1,000 uncached prompt tokens"),
  prefixCacheTokens: numberOption("prefixCacheTokens", "--prefix-cache-tokens", "prefix cache of n prompt tokens in chained blocks, LRU; cached blocks skip prefill; 0 = none"),
  blockSize: numberOption("blockSize", "--block-size", "tokens per prefix-cache block"),
  kvCacheTokens: numberOption("kvCacheTokens", "--kv-cache-tokens", "KV cache of n tokens: a running request holds its prompt + max output tokens; one that does not fit waits; 0 = no limit"),
  decodeMsPer1kKv: numberOption("decodeMsPer1kKv", "--decode-ms-per-1k-kv", "decode cost: every inter-token gap grows by ms per 1,000 KV-cache tokens held; needs --kv-cache-tokens"),
  reasoningTokens: numberOption(
    "reasoningTokens",
    "--reasoning-tokens",
    "n reasoning tokens before the answer (chat reasoning_content, a Responses reasoning item, a Messages thinking block), counted in the output tokens; per request: x-tokenstorm-reasoning-tokens",
  ),
  toolCallRate: numberOption(
    "toolCallRate",
    "--tool-call-rate",
    "requests offering tools: fraction answered with a streamed call to the first tool instead of content; per request: x-tokenstorm-tool-call: 1|0",
  ),
  tokenizer: nameOption("tokenizer", "--tokenizer", "count prompt tokens (usage, prefill, prefix and KV cache) with o200k_base, cl100k_base or a tokenizer.json, as run --tokenizer does (default: words)"),
  seed: numberOption("seed", "--seed", "seed of jitter and failure draws (default random)"),
  model: nameOption("model", "--model", "model name reported"),
  ndjsonCompletions: switchOption("ndjsonCompletions", "--ndjson", '/v1/completions always streams NDJSON lines {"text"} instead of SSE'),
  session: switchOption("session", "--session", "also serve the session protocol: POST /api/run and /api/publish (they take an API key: --api-key-env, or one made up and printed at start), WebSocket /connection/websocket (in-process broker)"),
  grpcPort: numberOption("grpcPort", "--grpc-port", "also serve the voice agent as a gRPC gateway (proto/voice/v1/voice.proto) on this port, 0 for a free one"),
  grpcUnavailableRate: numberOption("grpcUnavailableRate", "--grpc-unavailable-rate", "fraction of gRPC calls refused with UNAVAILABLE; needs --grpc-port"),
  slowClientLimitMs: numberOption("slowClientLimitMs", "--slow-client-ms", "drop a stream whose client has read nothing (socket buffer full) for this long"),
  http2: switchOption("http2", "--http2", "serve HTTP/2: with --tls-cert beside HTTP/1.1 (ALPN), else HTTP/2 only (prior knowledge, h2c)"),
});

/** The rules between options (options.ts) that `options` breaks, each line naming the flags. */
export function emulatorSettingsProblems(options: EmulatorOptions): string[] {
  const flags = new Map(describeSettings(emulatorSettings).map(({ key, flag }) => [key, flag]));
  return crossOptionProblems(options).map((problem) => crossOptionLine(problem, (option) => flags.get(option) ?? option));
}
