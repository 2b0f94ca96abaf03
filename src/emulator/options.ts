// Options of the emulator with their defaults, and the value rules that startEmulator and the
// `emulate` command's settings (./settings.ts) share, so both reject the same values in the same
// words. Plain data and code, no zod: startEmulator runs on the embedded emulator's worker thread
// and in fleet workers, where loading zod would cost each isolate about 5 MB.
import { UsageError } from "../errors.js";
import { resolveVoiceOptions, type VoiceEmulatorSettings } from "../voice/options.js";
import type { VoiceAgentOptions } from "../voice/types.js";

/** Default for how long a stream may wait on a client that reads nothing before it is dropped. */
export const SLOW_CLIENT_LIMIT_MS = 30_000;

export type TextMode = "lorem" | "echo" | "counter";
export const TEXT_MODES: readonly TextMode[] = ["lorem", "echo", "counter"];

export interface EmulatorOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default 20: from request received (body parsed, or admitted from the queue) to the first token write. */
  ttftMs?: number;
  /** Default 10: between tokens. */
  itlMs?: number;
  /** Default 0: each delay is base * (1 + U(-jitter, +jitter)), applied to due times so it never accumulates. */
  jitter?: number;
  /** Default 100: tokens per response when the request sets no max_tokens / num_predict. */
  length?: number;
  /** Default 1,000,000: the most tokens one request may ask for (max_tokens / num_predict); more is a 400. */
  maxRequestTokens?: number;
  /** Default "lorem". */
  text?: TextMode;
  /** Default 0: fraction of requests answered with an error status before streaming. */
  errorRate?: number;
  /** Default [500]; one is picked uniformly per injected error. */
  errorStatuses?: number[];
  /** Default 0: fraction of requests whose socket is destroyed mid-stream at a random token. */
  disconnectRate?: number;
  /** Default 0: fraction of requests ended cleanly but early, without the end marker. */
  truncateRate?: number;
  /** Default 0 = unlimited: generations running at once; further requests wait in a FIFO queue. */
  maxRunning?: number;
  /** Default unlimited: a full wait queue answers 429 with Retry-After: 1. */
  maxWaiting?: number;
  /** Default 0: ITL is multiplied by (1 + slowdownUnderLoad * (running - 1)). */
  slowdownUnderLoad?: number;
  /** Default 0: added to every inter-token delay. */
  extraDelayPerTokenMs?: number;
  /** Default 0: prefill time per 1,000 uncached prompt tokens, added to the time to first token. */
  prefillMsPer1k?: number;
  /** Default 0 = no prefix cache: the most prompt tokens the prefix cache holds (whole blocks). */
  prefixCacheTokens?: number;
  /** Default 16: tokens per prefix-cache block; only full blocks are cached. */
  blockSize?: number;
  /** Default 0 = no limit: KV-cache tokens; a running generation holds its prompt and output tokens, one that does not fit waits. */
  kvCacheTokens?: number;
  /** Default 0: ms added to every inter-token gap per 1,000 KV-cache tokens held (needs kvCacheTokens). */
  decodeMsPer1kKv?: number;
  /** Default 0: reasoning tokens streamed before the answer (chat completions' reasoning_content). */
  reasoningTokens?: number;
  /**
   * Default none (a token is a word): how prompt tokens are counted for usage, prefill, the prefix
   * cache and the KV cache: an OpenAI encoding (o200k_base, cl100k_base) or a tokenizer.json path.
   */
  tokenizer?: string;
  /** Default 0: fraction of requests offering `tools` answered with a call to the first tool instead of content. */
  toolCallRate?: number;
  /** Seed of the jitter and failure draws; default random. */
  seed?: number;
  /** Default "tokenstorm-emulator". */
  model?: string;
  /** Default false: /v1/completions always streams seed 004's NDJSON. */
  ndjsonCompletions?: boolean;
  /** Default true: warm this process's JIT on a throwaway emulator before listening; "light": one round (see warm-up.ts). */
  warmUp?: boolean | "light";
  /** The voice agent on /v1/realtime (src/voice/options.ts); errorRate / disconnectRate / seed apply to it too. */
  voice?: VoiceEmulatorSettings;
  /**
   * Default false: the WebSocket server of /v1/realtime loads with the emulator. True: on the first
   * upgrade, for an emulator whose clients speak HTTP only (the embedded emulator of an HTTP run).
   */
  realtimeOnDemand?: boolean;
  /** Also serve the voice agent as a gRPC gateway on this port, 0 for a free one (src/protocols/grpc-voice/). */
  grpcPort?: number;
  /** Default 0: fraction of gRPC Converse calls refused with UNAVAILABLE. */
  grpcUnavailableRate?: number;
  /** Default 30000: a stream whose client reads nothing for this long (socket buffer full) is dropped. */
  slowClientLimitMs?: number;
  /** Also serve the session protocol: POST /api/run, /api/publish, WebSocket /connection/websocket (src/protocols/session/). */
  session?: boolean;
  /** With `session`: POST /api/run and /api/publish take this API key (`Authorization: apikey|Bearer KEY` or `X-API-Key`), 401 without; absent, one is made up (RunningEmulator.sessionApiKey). */
  sessionApiKey?: string;
  /** Serve https:// and wss:// (`emulate --tls-cert --tls-key`); absent: plain http://. */
  tls?: EmulatorTls;
  /** Serve HTTP/2 (`emulate --http2`): with TLS beside HTTP/1.1 (ALPN); without, HTTP/2 only (prior knowledge, h2c). */
  http2?: boolean;
}

/** The emulator's TLS material as PEM text (plain data: it crosses to fleet workers). */
export interface EmulatorTls {
  cert: string;
  key: string;
  /** CA certificates a client's certificate must be signed by; set, a client without one is refused (mutual TLS). */
  clientCa?: string;
}

/**
 * One request may ask for at most this many tokens: a request for 100 million tokens with no delay
 * would otherwise hold gigabytes of response in the emulator.
 */
export const DEFAULT_MAX_REQUEST_TOKENS = 1_000_000;

/** Tokens per prefix-cache block, as vLLM's default. */
export const DEFAULT_BLOCK_SIZE = 16;

export interface ResolvedOptions {
  host: string;
  port: number;
  ttftMs: number;
  itlMs: number;
  jitter: number;
  length: number;
  maxRequestTokens: number;
  text: TextMode;
  errorRate: number;
  errorStatuses: number[];
  disconnectRate: number;
  truncateRate: number;
  maxRunning: number;
  /** Infinity when unlimited. */
  maxWaiting: number;
  slowdownUnderLoad: number;
  extraDelayPerTokenMs: number;
  prefillMsPer1k: number;
  prefixCacheTokens: number;
  blockSize: number;
  kvCacheTokens: number;
  decodeMsPer1kKv: number;
  reasoningTokens: number;
  /** --tokenizer: null counts words. */
  tokenizer: string | null;
  toolCallRate: number;
  seed: number;
  model: string;
  ndjsonCompletions: boolean;
  warmUp: boolean | "light";
  slowClientLimitMs: number;
  voice: VoiceAgentOptions;
}

export type ValueRule =
  | "port"
  | "nonNegative"
  | "fraction"
  | "positiveInteger"
  | "nonNegativeInteger"
  | "integer"
  | "errorStatus";

const RULE_REQUIREMENTS: Record<ValueRule, string> = {
  port: "an integer from 0 to 65535",
  nonNegative: "a number >= 0",
  fraction: "a number from 0 to 1",
  positiveInteger: "an integer >= 1",
  nonNegativeInteger: "an integer >= 0",
  integer: "an integer",
  errorStatus: "a list of HTTP statuses from 400 to 599",
};

export type NumericOptionName = {
  [K in keyof EmulatorOptions]-?: EmulatorOptions[K] extends number | undefined ? K : never;
}[keyof EmulatorOptions];

/** Each numeric option's rule, for startEmulator's checks and the `emulate` flags' alike. */
export const NUMERIC_OPTION_RULES: Record<NumericOptionName, ValueRule> = {
  port: "port",
  ttftMs: "nonNegative",
  itlMs: "nonNegative",
  jitter: "fraction",
  length: "positiveInteger",
  maxRequestTokens: "positiveInteger",
  errorRate: "fraction",
  disconnectRate: "fraction",
  truncateRate: "fraction",
  maxRunning: "nonNegativeInteger",
  maxWaiting: "nonNegativeInteger",
  slowdownUnderLoad: "nonNegative",
  extraDelayPerTokenMs: "nonNegative",
  prefillMsPer1k: "nonNegative",
  prefixCacheTokens: "nonNegativeInteger",
  blockSize: "positiveInteger",
  kvCacheTokens: "nonNegativeInteger",
  decodeMsPer1kKv: "nonNegative",
  reasoningTokens: "nonNegativeInteger",
  toolCallRate: "fraction",
  seed: "integer",
  grpcPort: "port",
  grpcUnavailableRate: "fraction",
  slowClientLimitMs: "nonNegative",
};

/** The options whose default is one fixed value, as resolveOptions applies it and `emulate --help` shows it. */
export const EMULATOR_DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  ttftMs: 20,
  itlMs: 10,
  jitter: 0,
  length: 100,
  maxRequestTokens: DEFAULT_MAX_REQUEST_TOKENS,
  text: "lorem",
  errorRate: 0,
  errorStatuses: [500] as number[],
  disconnectRate: 0,
  truncateRate: 0,
  maxRunning: 0,
  slowdownUnderLoad: 0,
  extraDelayPerTokenMs: 0,
  prefillMsPer1k: 0,
  prefixCacheTokens: 0,
  blockSize: DEFAULT_BLOCK_SIZE,
  kvCacheTokens: 0,
  decodeMsPer1kKv: 0,
  reasoningTokens: 0,
  toolCallRate: 0,
  model: "tokenstorm-emulator",
  ndjsonCompletions: false,
  warmUp: true,
  session: false,
  http2: false,
  grpcUnavailableRate: 0,
  slowClientLimitMs: SLOW_CLIENT_LIMIT_MS,
} as const satisfies EmulatorOptions;

export function requirementOf(rule: ValueRule): string {
  return `must be ${RULE_REQUIREMENTS[rule]}`;
}

export function satisfiesRule(value: number, rule: ValueRule): boolean {
  if (!Number.isFinite(value)) return false;
  switch (rule) {
    case "port":
      return Number.isInteger(value) && value >= 0 && value <= 65535;
    case "nonNegative":
      return value >= 0;
    case "fraction":
      return value >= 0 && value <= 1;
    case "positiveInteger":
      return Number.isInteger(value) && value >= 1;
    case "nonNegativeInteger":
      return Number.isInteger(value) && value >= 0;
    case "integer":
      return Number.isInteger(value);
    case "errorStatus":
      return Number.isInteger(value) && value >= 400 && value <= 599;
  }
}

/**
 * A rule between options: the options at fault, and the rest of the line, which names any other
 * option through `name`, so startEmulator can speak of option names and `emulate` of its flags.
 */
export interface CrossOptionProblem {
  about: ReadonlyArray<keyof EmulatorOptions>;
  says(name: (option: keyof EmulatorOptions) => string): string;
}

/** The rules between options that `options` breaks; each option's own value is checked elsewhere. */
export function crossOptionProblems(options: EmulatorOptions): CrossOptionProblem[] {
  const problems: CrossOptionProblem[] = [];
  // The failure rates split one draw per request, so together they cannot exceed 1.
  const rates = (options.errorRate ?? 0) + (options.disconnectRate ?? 0) + (options.truncateRate ?? 0);
  if (rates > 1) problems.push({ about: ["errorRate", "disconnectRate", "truncateRate"], says: () => "must add up to at most 1" });
  // The decode cost grows with the KV-cache tokens held, which only a KV cache counts.
  if ((options.decodeMsPer1kKv ?? 0) > 0 && !(options.kvCacheTokens ?? 0)) {
    problems.push({ about: ["decodeMsPer1kKv"], says: (name) => `needs ${name("kvCacheTokens")}` });
  }
  if (options.grpcUnavailableRate !== undefined && options.grpcPort === undefined) {
    problems.push({ about: ["grpcUnavailableRate"], says: (name) => `needs ${name("grpcPort")}` });
  }
  const maxRequestTokens = options.maxRequestTokens ?? EMULATOR_DEFAULTS.maxRequestTokens;
  if ((options.length ?? EMULATOR_DEFAULTS.length) > maxRequestTokens) {
    problems.push({ about: ["length"], says: (name) => `must be at most ${name("maxRequestTokens")} (${maxRequestTokens})` });
  }
  return problems;
}

/** `problem` as one line, each option named by `name`: "a, b and c must ...". */
export function crossOptionLine(problem: CrossOptionProblem, name: (option: keyof EmulatorOptions) => string): string {
  const names = problem.about.map(name);
  const listed = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
  return `${listed} ${problem.says(name)}`;
}

/** Apply defaults and check every value; throws UsageError naming the option. */
export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  for (const [name, rule] of Object.entries(NUMERIC_OPTION_RULES) as [NumericOptionName, ValueRule][]) {
    const value = options[name];
    if (value !== undefined && !satisfiesRule(value, rule)) {
      throw new UsageError(`emulator option ${name} ${requirementOf(rule)} (got ${String(value)})`);
    }
  }
  const d = EMULATOR_DEFAULTS;
  const statuses = options.errorStatuses ?? d.errorStatuses;
  if (statuses.length === 0 || !statuses.every((status) => satisfiesRule(status, "errorStatus"))) {
    throw new UsageError(`emulator option errorStatuses ${requirementOf("errorStatus")} (got [${statuses.join(",")}])`);
  }
  const text = options.text ?? d.text;
  if (!TEXT_MODES.includes(text)) {
    throw new UsageError(`emulator option text must be one of ${TEXT_MODES.join(", ")} (got ${String(text)})`);
  }
  for (const name of ["host", "model", "tokenizer"] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      throw new UsageError(`emulator option ${name} must be a non-empty string`);
    }
  }
  const [crossProblem] = crossOptionProblems(options);
  if (crossProblem) {
    throw new UsageError(`emulator option${crossProblem.about.length > 1 ? "s" : ""} ${crossOptionLine(crossProblem, (option) => option)}`);
  }
  if (options.tls !== undefined && (typeof options.tls.cert !== "string" || typeof options.tls.key !== "string")) {
    throw new UsageError("emulator option tls needs cert and key (PEM text)");
  }
  const seed = (options.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  const errorRate = options.errorRate ?? d.errorRate;
  const disconnectRate = options.disconnectRate ?? d.disconnectRate;
  return {
    host: options.host ?? d.host,
    port: options.port ?? d.port,
    ttftMs: options.ttftMs ?? d.ttftMs,
    itlMs: options.itlMs ?? d.itlMs,
    jitter: options.jitter ?? d.jitter,
    length: options.length ?? d.length,
    maxRequestTokens: options.maxRequestTokens ?? d.maxRequestTokens,
    text,
    errorRate,
    errorStatuses: [...statuses],
    disconnectRate,
    truncateRate: options.truncateRate ?? d.truncateRate,
    maxRunning: options.maxRunning ?? d.maxRunning,
    maxWaiting: options.maxWaiting ?? Infinity,
    slowdownUnderLoad: options.slowdownUnderLoad ?? d.slowdownUnderLoad,
    extraDelayPerTokenMs: options.extraDelayPerTokenMs ?? d.extraDelayPerTokenMs,
    prefillMsPer1k: options.prefillMsPer1k ?? d.prefillMsPer1k,
    prefixCacheTokens: options.prefixCacheTokens ?? d.prefixCacheTokens,
    blockSize: options.blockSize ?? d.blockSize,
    kvCacheTokens: options.kvCacheTokens ?? d.kvCacheTokens,
    decodeMsPer1kKv: options.decodeMsPer1kKv ?? d.decodeMsPer1kKv,
    reasoningTokens: options.reasoningTokens ?? d.reasoningTokens,
    tokenizer: options.tokenizer ?? null,
    toolCallRate: options.toolCallRate ?? d.toolCallRate,
    seed,
    model: options.model ?? d.model,
    ndjsonCompletions: options.ndjsonCompletions ?? d.ndjsonCompletions,
    warmUp: options.warmUp ?? d.warmUp,
    slowClientLimitMs: options.slowClientLimitMs ?? d.slowClientLimitMs,
    voice: resolveVoiceOptions(options.voice, { errorRate, disconnectRate, seed }),
  };
}
