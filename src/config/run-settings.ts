// The settings of `tokenstorm run`: the run's own fields, and the settings each load model,
// protocol, output and the distributed layer own, composed into one zod object. The command line,
// a --config file, TOKENSTORM_* and seed 000's variables, and src/api.ts all give their values to
// this one schema (through resolveRunConfig), so they cannot drift apart.
import { z } from "zod/v3";
import { distributedSettings } from "../distributed/settings.js";
import { DEFAULT_MAX_LINE_BYTES } from "../protocols/http/lines.js";
import { grpcVoiceSettings } from "../protocols/grpc-voice/options.js";
import { embeddingsSettings } from "../protocols/openai/embeddings-options.js";
import { observabilitySettings } from "../report/observability.js";
import { voiceRunSettings } from "../voice/run-options.js";
import { voiceEmulatorSettings } from "../voice/settings.js";
import { conversationSettings } from "../workload/conversation-settings.js";
import { openPatternSettings } from "../workload/open.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { sharedPrefixSettings } from "../workload/shared-prefix.js";
import { stageSettings } from "../workload/stages.js";
import { tokenSettings } from "../workload/token-settings.js";
import { traceSettings } from "../workload/trace.js";
import { countOrAutoSetting, listSetting, numberSetting, switchSetting, textSetting, type Settings } from "./settings.js";

/** The run's own settings: target, protocol, the closed model, timing asked of the emulator, limits, files. */
export const coreRunSettings = z.object({
  target: textSetting("--target", "base URL of the service under test; grpc-voice: host:port or grpc(s)://host:port (default: start the embedded emulator)"),
  wsTarget: textSetting("--ws-target", "session: the gateway's WebSocket URL when it is not on --target's host (e.g. ws://host:9001/connection/websocket)"),
  protocol: textSetting("--protocol", "protocol driver (openai-chat, openai-completions, openai-responses, openai-embeddings, anthropic-messages, ollama-generate, ollama-chat, ndjson, session, realtime, grpc-voice)", "openai-chat"),
  model: textSetting("--model", "model name sent with each request", "tokenstorm-emulator"),
  header: listSetting("--header", "extra request header 'Name: value' (repeatable)"),
  apiKeyEnv: textSetting("--api-key-env", "send 'Authorization: Bearer $VAR' (anthropic-messages: 'x-api-key: $VAR')"),
  tokenSecretEnv: textSetting("--token-secret-env", "session: sign each gateway connection's token (HS256 JWT) with the secret in $VAR"),
  clients: numberSetting("--clients", "positiveInt", "virtual clients (closed model) [env NUM_CLIENTS, default 10]", 10),
  cycles: numberSetting("--cycles", "positiveInt", "requests per client [env CYCLES_PER_CLIENT, default 5]", 5),
  maxConcurrent: numberSetting("--max-concurrent", "positiveInt", "cap on requests in flight [env MAX_CONCURRENT_CLIENTS, default 50; 1000 with --pattern; the user count with --users]"),
  thinkTime: numberSetting("--think-time", "nonNegative", "pause between a client's requests, seconds (default 0; 1 with --users)"),
  scenario: textSetting("--scenario", "named preset under these flags (see `tokenstorm scenarios`)"),
  requests: numberSetting("--requests", "positiveInt", "stop after this many requests in total (realtime, grpc-voice closed model: turns per session)"),
  duration: numberSetting("--duration", "positive", "stop issuing requests after this many seconds; with --users, the hold between ramp-up and ramp-down"),
  pattern: textSetting("--pattern", `open model: requests arrive on a schedule (${PATTERN_NAMES.join("|")}); default: the closed model`),
  queueWhenFull: switchSetting("--queue-when-full", "open model at --max-concurrent: wait for a slot instead of dropping the arrival"),
  length: numberSetting("--length", "positiveInt", "output tokens asked for per request (max_tokens) [env RESPONSE_LENGTH_WORDS, default 100 on the emulator]"),
  delay: numberSetting("--delay", "nonNegative", "inter-token delay asked of the emulator, seconds [env TOKEN_DELAY_SECONDS, default 0.01]", 0.01),
  ttft: numberSetting("--ttft", "nonNegative", "time to first token asked of the emulator, seconds (default: --delay)"),
  emulatorStats: switchSetting("--emulator-stats", "the target is a tokenstorm emulator: report its own timing error from its GET /stats (always on for the embedded one)"),
  emulatorWorkers: countOrAutoSetting("--emulator-workers", "processes of the embedded emulator, or auto for one per core (default 1: a thread of this process)", 1),
  prompts: textSetting("--prompts", "built-in prompt sets short, medium, long, separated by spaces or commas", "short"),
  dataset: textSetting("--dataset", "prompts from a .jsonl ({\"prompt\"} or {\"messages\"}, optional max_tokens, type) or .csv file"),
  seed: numberSetting("--seed", "nonNegativeInt", "seed for reproducible choices"),
  timeout: numberSetting("--timeout", "positive", "whole-request timeout, seconds [env REQUEST_TIMEOUT, default 120]", 120),
  connectTimeout: numberSetting("--connect-timeout", "positive", "TCP connect timeout, seconds [env CONNECTION_TIMEOUT, default 60]", 60),
  idleTimeout: numberSetting("--idle-timeout", "positive", "fail a stream with no bytes for this long, seconds", 30),
  handshakeTimeout: numberSetting("--handshake-timeout", "positive", "fail a WebSocket connection (realtime) whose upgrade is not answered within this long, seconds", 10),
  maxLineBytes: numberSetting("--max-line-bytes", "positiveInt", "fail a stream as malformed when one line or SSE event exceeds this many bytes (default 8 MiB)", DEFAULT_MAX_LINE_BYTES),
  cacert: textSetting("--cacert", "TLS: trust the CA certificates in this PEM file (besides the system's) for https:// and wss:// targets"),
  insecure: switchSetting("--insecure", "TLS: accept any server certificate (self-signed, unknown CA, other host name)"),
  cert: textSetting("--cert", "TLS: client certificate, PEM (mutual TLS; with --key)"),
  key: textSetting("--key", "TLS: the client certificate's private key, PEM (with --cert)"),
  http2: switchSetting("--http2", "HTTP targets over HTTP/2: ALPN on https://, prior knowledge (h2c) on http://; streams share --max-connections"),
  maxConnections: numberSetting("--max-connections", "positiveInt", "connections per origin (default: --max-concurrent; with --http2, one per 100 streams in flight)"),
  gracefulStop: numberSetting("--graceful-stop", "nonNegative", "after --duration, how long in-flight requests may finish (default: --timeout)"),
  out: textSetting("--out", "write the report JSON here; '-' writes it to standard output (the console report then goes to standard error)"),
  raw: textSetting("--raw", "stream one NDJSON line per finished request here"),
  output: textSetting("--output", "same as --out"),
  outputRaw: textSetting("--output-raw", "same as --raw"),
  csv: textSetting("--csv", "stream one CSV row per finished request here"),
  save: switchSetting("--no-save", "do not keep a copy of the results under ./tokenstorm-results/<time>/", true),
  resultsDir: textSetting("--results-dir", "where saved results go", "tokenstorm-results"),
  threshold: listSetting("--threshold", "pass/fail criterion, e.g. 'ttft.p95<2500ms' (repeatable; exit 99 on failure)"),
  allowFailures: switchSetting("--allow-failures", "exit 0 even when no request succeeded (default: exit 1 naming the top error, unless --threshold decides)"),
  goodput: textSetting("--goodput", "per-request SLOs for goodput, ms: 'ttft:500,tpot:50'"),
  usage: switchSetting("--no-usage", "do not ask for the usage chunk (stream_options.include_usage)", true),
  exactTokens: switchSetting("--exact-tokens", "the server sends one token per chunk: count usage minus received as token loss"),
  quiet: switchSetting("--quiet", "no live progress"),
  verbose: switchSetting("--verbose", "print run details to stderr (voice: a line per client connected)"),
  debug: switchSetting("--debug", "also print one line per finished request to stderr"),
  createTestAudio: switchSetting("--create-test-audio", "write test WAV files (16 kHz) into --audio-dir and stop"),
});

/** Every setting of a run, by the attribute commander gives its flag. */
export const runSettings = z.object({
  ...coreRunSettings.shape,
  ...stageSettings.shape,
  ...openPatternSettings.shape,
  ...traceSettings.shape,
  ...sharedPrefixSettings.shape,
  ...tokenSettings.shape,
  ...conversationSettings.shape,
  ...grpcVoiceSettings.shape,
  ...embeddingsSettings.shape,
  ...voiceRunSettings.shape,
  ...voiceEmulatorSettings.shape,
  ...observabilitySettings.shape,
  ...distributedSettings.shape,
});

/** The run's settings as given: text from the command line, a file or the environment; numbers from the API. */
export type RunSettingsInput = z.input<typeof runSettings>;
/** The run's settings parsed: every value typed, a setting not given absent. */
export type RunSettings = Settings<typeof runSettings>;

/** Seed 000's environment variables: under TOKENSTORM_* and every other layer, over the defaults. */
export const SEED_000_VARIABLES = {
  clients: "NUM_CLIENTS",
  cycles: "CYCLES_PER_CLIENT",
  maxConcurrent: "MAX_CONCURRENT_CLIENTS",
  length: "RESPONSE_LENGTH_WORDS",
  delay: "TOKEN_DELAY_SECONDS",
  timeout: "REQUEST_TIMEOUT",
  connectTimeout: "CONNECTION_TIMEOUT",
} as const satisfies Partial<Record<keyof RunSettingsInput, string>>;
