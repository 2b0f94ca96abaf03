// `tokenstorm emulate`: parse and validate the flags, start the emulator, stop it on SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { startEmulator, type RunningEmulator } from "../emulator/index.js";
import { fleetSize, startEmulatorFleet } from "../emulator/fleet.js";
import { warnOnLowFileLimit } from "../emulator/file-limit.js";
import {
  type EmulatorOptions,
  type EmulatorTls,
  failureRatesProblem,
  NUMERIC_OPTION_RULES,
  type NumericOptionName,
  requirementOf,
  satisfiesRule,
  TEXT_MODES,
  type TextMode,
} from "../emulator/options.js";
import { addVoiceEmulatorOptions, voiceSettingsFromFlags } from "../voice/options.js";
import { loadTokenizer } from "../workload/tokenizer.js";

interface EmulateFlags {
  host?: string;
  port?: string;
  ttftMs?: string;
  itlMs?: string;
  jitter?: string;
  length?: string;
  maxRequestTokens?: string;
  text?: string;
  errorRate?: string;
  errorStatus?: string;
  disconnectRate?: string;
  truncateRate?: string;
  maxRunning?: string;
  maxWaiting?: string;
  slowdownUnderLoad?: string;
  extraDelayMs?: string;
  prefillMsPer1k?: string;
  prefixCacheTokens?: string;
  blockSize?: string;
  kvCacheTokens?: string;
  decodeMsPer1kKv?: string;
  reasoningTokens?: string;
  tokenizer?: string;
  toolCallRate?: string;
  seed?: string;
  model?: string;
  ndjson?: boolean;
  session?: boolean;
  apiKeyEnv?: string;
  grpcPort?: string;
  grpcUnavailableRate?: string;
  slowClientMs?: string;
  workers?: string;
  instances?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  http2?: boolean;
}

/** Each numeric flag and the option it sets; the option's rule decides what is valid. */
const NUMERIC_FLAGS: Array<[flag: string, key: keyof EmulateFlags, option: NumericOptionName]> = [
  ["--port", "port", "port"],
  ["--ttft-ms", "ttftMs", "ttftMs"],
  ["--itl-ms", "itlMs", "itlMs"],
  ["--jitter", "jitter", "jitter"],
  ["--length", "length", "length"],
  ["--max-request-tokens", "maxRequestTokens", "maxRequestTokens"],
  ["--error-rate", "errorRate", "errorRate"],
  ["--disconnect-rate", "disconnectRate", "disconnectRate"],
  ["--truncate-rate", "truncateRate", "truncateRate"],
  ["--max-running", "maxRunning", "maxRunning"],
  ["--max-waiting", "maxWaiting", "maxWaiting"],
  ["--slowdown-under-load", "slowdownUnderLoad", "slowdownUnderLoad"],
  ["--extra-delay-ms", "extraDelayMs", "extraDelayPerTokenMs"],
  ["--prefill-ms-per-1k", "prefillMsPer1k", "prefillMsPer1k"],
  ["--prefix-cache-tokens", "prefixCacheTokens", "prefixCacheTokens"],
  ["--block-size", "blockSize", "blockSize"],
  ["--kv-cache-tokens", "kvCacheTokens", "kvCacheTokens"],
  ["--decode-ms-per-1k-kv", "decodeMsPer1kKv", "decodeMsPer1kKv"],
  ["--reasoning-tokens", "reasoningTokens", "reasoningTokens"],
  ["--tool-call-rate", "toolCallRate", "toolCallRate"],
  ["--seed", "seed", "seed"],
  ["--grpc-port", "grpcPort", "grpcPort"],
  ["--grpc-unavailable-rate", "grpcUnavailableRate", "grpcUnavailableRate"],
  ["--slow-client-ms", "slowClientMs", "slowClientLimitMs"],
];

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(raw: string): number {
  return DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
}

/** --tls-cert, --tls-key, --tls-client-ca read as PEM text; problems name their flag. */
function emulatorTlsOf(flags: EmulateFlags, problems: string[]): EmulatorTls | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) {
    if (flags.tlsClientCa !== undefined) problems.push("--tls-client-ca needs --tls-cert and --tls-key");
    return undefined;
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    problems.push(flags.tlsCert === undefined ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key");
    return undefined;
  }
  const read = (flag: string, path: string): string | undefined => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      problems.push(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };
  const cert = read("--tls-cert", flags.tlsCert);
  const key = read("--tls-key", flags.tlsKey);
  const clientCa = flags.tlsClientCa === undefined ? undefined : read("--tls-client-ca", flags.tlsClientCa);
  if (cert === undefined || key === undefined || (flags.tlsClientCa !== undefined && clientCa === undefined)) return undefined;
  try {
    createSecureContext({ cert, key, ...(clientCa !== undefined ? { ca: clientCa } : {}) });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    problems.push(`--tls-cert/--tls-key${clientCa !== undefined ? "/--tls-client-ca" : ""}: not a usable certificate and key (${reason})`);
    return undefined;
  }
  return clientCa !== undefined ? { cert, key, clientCa } : { cert, key };
}

/** Flags to emulator options; every bad value is reported, in one UsageError naming each flag. */
export function emulateOptionsFromFlags(flags: EmulateFlags): EmulatorOptions {
  const options: EmulatorOptions = {};
  const problems: string[] = [];
  for (const [flag, key, option] of NUMERIC_FLAGS) {
    const raw = flags[key];
    if (typeof raw !== "string") continue;
    const value = parseNumber(raw);
    const rule = NUMERIC_OPTION_RULES[option];
    if (satisfiesRule(value, rule)) options[option] = value;
    else problems.push(`${flag} ${requirementOf(rule)} (got "${raw}")`);
  }
  if (flags.errorStatus !== undefined) {
    const statuses = flags.errorStatus.split(",").map(parseNumber);
    if (statuses.every((status) => satisfiesRule(status, "errorStatus"))) options.errorStatuses = statuses;
    else problems.push(`--error-status ${requirementOf("errorStatus")} (got "${flags.errorStatus}")`);
  }
  if (flags.grpcUnavailableRate !== undefined && flags.grpcPort === undefined) problems.push("--grpc-unavailable-rate needs --grpc-port");
  if (flags.decodeMsPer1kKv !== undefined && flags.kvCacheTokens === undefined) problems.push("--decode-ms-per-1k-kv needs --kv-cache-tokens");
  const ratesProblem = failureRatesProblem(options);
  if (ratesProblem) problems.push(`--error-rate, --disconnect-rate and --truncate-rate ${ratesProblem}`);
  if (flags.text !== undefined) {
    if (TEXT_MODES.includes(flags.text as TextMode)) options.text = flags.text as TextMode;
    else problems.push(`--text must be one of ${TEXT_MODES.join(", ")} (got "${flags.text}")`);
  }
  for (const [flag, key] of [["--host", "host"], ["--model", "model"], ["--tokenizer", "tokenizer"]] as const) {
    const raw = flags[key];
    if (raw === undefined) continue;
    if (raw.trim() === "") problems.push(`${flag} must not be empty (got "${raw}")`);
    else options[key] = raw;
  }
  if (options.tokenizer !== undefined) {
    try {
      loadTokenizer(options.tokenizer);
    } catch (err) {
      problems.push(`--tokenizer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (flags.ndjson) options.ndjsonCompletions = true;
  if (flags.session) options.session = true;
  if (flags.apiKeyEnv !== undefined) {
    const key = process.env[flags.apiKeyEnv];
    if (!flags.session) problems.push("--api-key-env keys the session APIs: it needs --session");
    else if (!key) problems.push(`--api-key-env: environment variable ${flags.apiKeyEnv} is not set`);
    else options.sessionApiKey = key;
  }
  const tls = emulatorTlsOf(flags, problems);
  if (tls) options.tls = tls;
  if (flags.http2) options.http2 = true;
  const voice = voiceSettingsFromFlags(flags as Record<string, unknown>, problems);
  if (Object.keys(voice).length > 0) options.voice = voice;
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return options;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function emulate(flags: EmulateFlags): Promise<void> {
  const options = emulateOptionsFromFlags(flags);
  const workers = flags.workers === undefined ? 1 : fleetSize(flags.workers);
  if (workers === undefined) throw new UsageError(`--workers must be an integer >= 1 or auto (got "${flags.workers}")`);
  warnOnLowFileLimit();
  const instances = flags.instances === undefined ? 1 : parseNumber(flags.instances);
  if (!Number.isInteger(instances) || instances < 1) throw new UsageError(`--instances must be an integer >= 1 (got "${flags.instances}")`);
  if (instances > 1) {
    await serveInstances(options, instances, workers);
    return;
  }
  if (workers > 1) {
    const fleet = await startEmulatorFleet(options, workers);
    process.stdout.write(`tokenstorm emulator listening on ${fleet.url} (${workers} worker processes)\n`);
    await untilSignalled();
    await fleet.close();
    return;
  }
  const emulator = await startEmulator(options);
  process.stdout.write(`tokenstorm emulator listening on ${emulator.url}\n`);
  if (options.session) process.stdout.write(`tokenstorm session gateway on ${emulator.url.replace(/^http/, "ws")}/connection/websocket, API on ${emulator.url}/api/run\n`);
  if (emulator.grpcUrl) process.stdout.write(`tokenstorm voice gateway (gRPC) listening on ${emulator.grpcUrl}\n`);
  await untilSignalled();
  await emulator.close();
}

/**
 * `--instances N`: N independent emulated servers, each with its own admission, caches and counters,
 * on consecutive ports (or N free ones with --port 0), for a router or load balancer in front of them.
 */
async function serveInstances(options: EmulatorOptions, instances: number, workers: number): Promise<void> {
  if (workers > 1) throw new UsageError("--instances and --workers: give one of them (each instance is one process's server)");
  if (options.grpcPort !== undefined) throw new UsageError("--grpc-port serves one gateway: leave it out with --instances");
  const base = options.port ?? 8000;
  if (base !== 0 && base + instances - 1 > 65535) throw new UsageError(`--instances ${instances} from --port ${base} runs past port 65535`);
  const started: RunningEmulator[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      // Each its own seed, so their jitter and failure draws differ as two servers' would.
      const seed = options.seed === undefined ? undefined : options.seed + i;
      started.push(await startEmulator({ ...options, port: base === 0 ? 0 : base + i, ...(seed === undefined ? {} : { seed }), warmUp: i === 0 && options.warmUp !== false }));
    }
  } catch (err) {
    await Promise.all(started.map((emulator) => emulator.close()));
    throw err;
  }
  for (const [i, emulator] of started.entries()) {
    process.stdout.write(`tokenstorm emulator listening on ${emulator.url} (instance ${i + 1} of ${instances})\n`);
  }
  await untilSignalled();
  await Promise.all(started.map((emulator) => emulator.close()));
}

export function registerEmulateCommand(program: Command): Command {
  const command = program
    .command("emulate")
    .description("serve emulated OpenAI-compatible, Ollama and NDJSON streaming endpoints and a realtime voice agent (WebSocket /v1/realtime) with exact timing")
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on, 0 for a free one (default 8000)")
    .option("--ttft-ms <ms>", "time to first token (default 20)")
    .option("--itl-ms <ms>", "delay between tokens (default 10)")
    .option("--jitter <fraction>", "each delay varies by up to ±fraction of itself (default 0)")
    .option("--length <tokens>", "tokens per response when the request sets no max_tokens (default 100)")
    .option("--max-request-tokens <n>", "the most tokens one request may ask for; more is answered 400 (default 1000000)")
    .option("--text <mode>", `response words: ${TEXT_MODES.join("|")} (default lorem)`)
    .option("--error-rate <fraction>", "fraction of requests answered with an error status (default 0)")
    .option("--error-status <list>", "comma-separated statuses for injected errors (default 500)")
    .option("--disconnect-rate <fraction>", "fraction of streams whose socket is destroyed mid-stream (default 0)")
    .option("--truncate-rate <fraction>", "fraction of streams ended early without an end marker (default 0)")
    .option("--max-running <n>", "generations at once, further requests queue; 0 = unlimited (default 0)")
    .option("--max-waiting <n>", "queue length beyond which requests get 429 (default unlimited)")
    .option("--slowdown-under-load <factor>", "ITL grows by factor × (running - 1) (default 0)")
    .option("--extra-delay-ms <ms>", "added to every inter-token delay (default 0)")
    .option("--prefill-ms-per-1k <ms>", "prefill cost: TTFT grows by ms per 1,000 uncached prompt tokens (default 0)")
    .option("--prefix-cache-tokens <n>", "prefix cache of n prompt tokens in chained blocks, LRU; cached blocks skip prefill (default 0: none)")
    .option("--block-size <tokens>", "tokens per prefix-cache block (default 16)")
    .option("--kv-cache-tokens <n>", "KV cache of n tokens: a running request holds its prompt + max output tokens; one that does not fit waits (default 0: no limit)")
    .option("--decode-ms-per-1k-kv <ms>", "decode cost: every inter-token gap grows by ms per 1,000 KV-cache tokens held (default 0; needs --kv-cache-tokens)")
    .option("--reasoning-tokens <n>", "n reasoning tokens before the answer (chat reasoning_content, a Responses reasoning item, a Messages thinking block), counted in the output tokens (default 0; per request: x-tokenstorm-reasoning-tokens)")
    .option("--tool-call-rate <fraction>", "requests offering tools: fraction answered with a streamed call to the first tool instead of content (default 0; per request: x-tokenstorm-tool-call: 1|0)")
    .option("--tokenizer <name|path>", "count prompt tokens (usage, prefill, prefix and KV cache) with o200k_base, cl100k_base or a tokenizer.json, as run --tokenizer does (default: words)")
    .option("--seed <n>", "seed of jitter and failure draws (default random)")
    .option("--model <name>", "model name reported (default tokenstorm-emulator)")
    .option("--session", "also serve the session protocol: POST /api/run and /api/publish, WebSocket /connection/websocket (in-process broker)")
    .option("--api-key-env <name>", "with --session: /api/run and /api/publish take the API key in this environment variable (Authorization: apikey|Bearer KEY or X-API-Key), 401 without")
    .option("--ndjson", "/v1/completions always streams NDJSON lines {\"text\"} instead of SSE")
    .option("--grpc-port <port>", "also serve the voice agent as a gRPC gateway (proto/voice/v1/voice.proto) on this port, 0 for a free one")
    .option("--grpc-unavailable-rate <fraction>", "fraction of gRPC calls refused with UNAVAILABLE (default 0)")
    .option("--slow-client-ms <ms>", "drop a stream whose client has read nothing (socket buffer full) for this long (default 30000)")
    .option("--instances <n>", "n independent servers (own capacity, caches and /metrics each) on consecutive ports from --port, for a router in front (default 1)")
    .option("--tls-cert <file>", "serve https:// and wss:// with this PEM certificate (chain); with --tls-key")
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option("--tls-client-ca <file>", "mutual TLS: refuse clients without a certificate signed by a CA in this PEM file")
    .option("--http2", "serve HTTP/2: with --tls-cert beside HTTP/1.1 (ALPN), else HTTP/2 only (prior knowledge, h2c)")
    .option("--workers <n>", "serve from n processes sharing the port (auto: one per core); /stats, /metrics and capacity limits are the whole server's (default 1)");
  return addVoiceEmulatorOptions(command).action(emulate);
}
