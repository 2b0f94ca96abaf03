// The resolved configuration of `tokenstorm run`: CLI flags (and a config file) over a scenario, over
// TOKENSTORM_* variables (./environment.ts), over seed 000's variables, over defaults; every value
// validated, every problem reported in one UsageError.
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.js";
import { DEFAULT_MAX_LINE_BYTES } from "../protocols/http/lines.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../protocols/types.js";
import { loadClientTls, type TlsFiles } from "../protocols/tls.js";
import type { GoodputSlos } from "../metrics/collector.js";
import { LATENCY_METRIC_NAMES, type LatencyMetricName } from "../metrics/registry.js";
import { resolvePattern } from "../workload/patterns.js";
import { PROMPT_SET_NAMES } from "../workload/prompts.js";
import { resolveConversations } from "../workload/conversation-settings.js";
import { resolveSharedPrefix } from "../workload/shared-prefix.js";
import { resolveTrace } from "../workload/trace.js";
import { resolveTokenWorkload } from "../workload/token-settings.js";
import { loadDataset } from "../workload/dataset.js";
import { durationAsHold, resolveStages, stagesLengthS, STAGED_THINK_TIME_S } from "../workload/stages.js";
import { applyEnvironment, nameVariables } from "./environment.js";
import { applyScenario } from "./scenarios.js";
import { Problems, type ValueKind } from "./values.js";
import { GRPC_VOICE, resolveGrpcVoice } from "../protocols/grpc-voice/options.js";
import { resolveEmbeddings } from "../protocols/openai/embeddings-options.js";
import { grpcTarget } from "../protocols/grpc-voice/target.js";
import { reportedDistributed, resolveDistributed, SINGLE_PROCESS } from "../distributed/options.js";
import { resolveObservability } from "../report/observability.js";
import { applyVoiceRun, resolveVoiceRun, VOICE_PROTOCOLS, withSeed003Names } from "../voice/run-options.js";

import type { ConfigFileUsed, RawRunFlags, RunConfig } from "./run-types.js";

export type { ConfigFileUsed, RawRunFlags, RunConfig };

export const RUN_DEFAULTS = {
  protocol: "openai-chat",
  model: "tokenstorm-emulator",
  clients: 10,
  cycles: 5,
  maxConcurrent: 50,
  /** Arrivals do not wait for the server, so the open model's default cap is wide. */
  openMaxConcurrent: 1000,
  length: 100,
  delayS: 0.01,
  timeoutS: 120,
  connectTimeoutS: 60,
  idleTimeoutS: 30,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  handshakeTimeoutS: DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000,
  resultsDir: "tokenstorm-results",
} as const;

/** The protocols whose bodies carry --ignore-eos' min_tokens and ignore_eos (src/protocols/openai/client.ts). */
const IGNORE_EOS_PROTOCOLS = new Set(["openai-chat", "openai-completions"]);

/** A numeric setting: its flag, its seed-000 environment variable if any, and its kind. */
function numberSetting(
  problems: Problems,
  raw: string | undefined,
  flag: string,
  kind: ValueKind,
  env: NodeJS.ProcessEnv,
  envName?: string,
): number | undefined {
  if (raw !== undefined) return problems.number(raw, kind, { flag });
  if (envName && env[envName] !== undefined && env[envName] !== "") return problems.number(env[envName], kind, { env: envName });
  return undefined;
}

function parseHeaders(problems: Problems, lines: string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines ?? []) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      problems.add(`--header must look like 'Name: value' (got "${line}")`);
      continue;
    }
    const value = line.slice(colon + 1).trim();
    // A CR or LF would end the header line early and smuggle another one in: undici refuses the
    // request, and every request would fail as `other`.
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) {
      problems.add(`--header ${name}: the value must not contain control characters such as CR or LF`);
      continue;
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** vLLM-style goodput SLOs: "ttft:500,tpot:50" (milliseconds). */
function parseGoodput(problems: Problems, text: string | undefined): GoodputSlos {
  const slos: GoodputSlos = {};
  if (text === undefined) return slos;
  for (const part of text.split(",")) {
    const [name, value] = part.split(":").map((s) => s.trim());
    if (!name || !LATENCY_METRIC_NAMES.includes(name as LatencyMetricName)) {
      problems.add(`--goodput: unknown metric "${name ?? ""}" (known: ${LATENCY_METRIC_NAMES.join(", ")})`);
      continue;
    }
    const ms = problems.number(value ?? "", "positive", { flag: `--goodput ${name}` });
    if (ms !== undefined) slos[name as LatencyMetricName] = ms;
  }
  return slos;
}

/** A flag given under either of two names (ours, seed 002's); both with different values is a problem. */
function aliased(problems: Problems, value: string | undefined, alias: string | undefined, flag: string, aliasFlag: string): string | null {
  if (value !== undefined && alias !== undefined && value !== alias) problems.add(`${flag} and ${aliasFlag} are the same setting: give one of them`);
  return value ?? alias ?? null;
}

/** Every problem of a set of run flags; the list lets a config file point each one at its line. */
export class RunConfigError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
  }
}

/** HTTP/2 streams one connection carries by default (a Node or nginx server's usual stream limit). */
export const HTTP2_STREAMS_PER_CONNECTION = 100;

/** --cacert, --cert / --key, --insecure: each file readable and usable, --cert and --key together. */
function tlsFilesOf(problems: Problems, flags: RawRunFlags): TlsFiles {
  const files: TlsFiles = { caFile: flags.cacert ?? null, certFile: flags.cert ?? null, keyFile: flags.key ?? null, insecure: flags.insecure === true };
  for (const problem of loadClientTls(files).problems) problems.add(problem);
  return files;
}

function wsTargetOf(problems: Problems, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  try {
    const url = new URL(raw);
    if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol)) throw new Error("scheme");
    return url.toString();
  } catch {
    problems.add(`--ws-target must be a ws://, wss://, http:// or https:// URL (got "${raw}")`);
    return null;
  }
}

export function resolveRunConfig(cliFlags: RawRunFlags, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const p = new Problems();
  // A scenario named only by TOKENSTORM_SCENARIO still sits over the other variables.
  const environment = cliFlags.environment;
  const named = cliFlags.scenario === undefined && typeof environment?.flags.scenario === "string" ? { ...cliFlags, scenario: environment.flags.scenario } : cliFlags;
  const layered = applyEnvironment(applyScenario(named), environment);
  for (const problem of environment?.problems ?? []) p.add(problem);
  // Staged users: a typed (or TOKENSTORM_DURATION) --duration is their hold (durationAsHold).
  const given = { hold: cliFlags.hold ?? (environment?.flags.hold as string | undefined), duration: cliFlags.duration ?? (environment?.flags.duration as string | undefined) };
  const flags = withSeed003Names(durationAsHold(layered.flags, given, p), p);
  const num = (raw: string | undefined, flag: string, kind: ValueKind, envName?: string): number | undefined =>
    numberSetting(p, raw, flag, kind, env, envName);

  let target: string | null = null;
  if (flags.target !== undefined && flags.protocol === GRPC_VOICE) {
    target = grpcTarget(p, flags.target);
  } else if (flags.target !== undefined) {
    try {
      const url = new URL(flags.target);
      const schemes = VOICE_PROTOCOLS.has(flags.protocol ?? "") ? ["http:", "https:", "ws:", "wss:"] : ["http:", "https:"];
      if (!schemes.includes(url.protocol)) throw new Error("scheme");
      target = url.toString();
    } catch {
      p.add(`--target must be an http:// or https:// URL (got "${flags.target}")`);
    }
  }

  const clients = num(flags.clients, "--clients", "positiveInt", "NUM_CLIENTS") ?? RUN_DEFAULTS.clients;
  const durationFlagS = num(flags.duration, "--duration", "positive") ?? null;
  const stages = resolveStages(flags, p);
  // The staged model runs for its stages (its --duration is the hold: durationAsHold).
  const durationS = durationFlagS ?? (stages ? stagesLengthS(stages) : null);
  // A trace is an open model of its own: its arrivals, its lengths, one pass through it by default.
  const trace = resolveTrace(p, flags);
  const requests = num(flags.requests, "--requests", "positiveInt") ?? (trace ? trace.dataset.entries.length : null);
  // With a duration or a request budget and no explicit cycles, clients cycle until the run stops.
  const explicitCycles = num(flags.cycles, "--cycles", "positiveInt", "CYCLES_PER_CLIENT");
  const cycles = explicitCycles ?? (durationS !== null || requests !== null ? null : RUN_DEFAULTS.cycles);
  const pattern = trace ? trace.plan : resolvePattern(flags.pattern, flags, p, { durationS, requests });
  if (flags.pattern !== undefined) {
    const closedOnly: Array<[string, unknown]> = [["--clients", flags.clients], ["--cycles", flags.cycles], ["--think-time", flags.thinkTime]];
    for (const [flag, value] of closedOnly) if (value !== undefined) p.add(`${flag} is for the closed model and does not apply to --pattern ${flags.pattern}`);
  } else if (flags.queueWhenFull === true && !trace) {
    p.add("--queue-when-full needs --pattern");
  }
  const delayS = num(flags.delay, "--delay", "nonNegative", "TOKEN_DELAY_SECONDS") ?? RUN_DEFAULTS.delayS;

  if (flags.prompts !== undefined && flags.dataset !== undefined) p.add("--prompts and --dataset cannot be combined (the dataset's prompts replace the built-in sets)");
  const dataset = trace ? trace.dataset : flags.dataset === undefined ? null : loadDataset(flags.dataset, p);
  const prompts = (flags.prompts ?? "short").split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of prompts) {
    if (!PROMPT_SET_NAMES.includes(name)) p.add(`--prompts: unknown prompt set "${name}" (known: ${PROMPT_SET_NAMES.join(", ")})`);
  }

  const sharedPrefix = resolveSharedPrefix(p, flags.prefixTokens, flags.prefixGroups);
  if (sharedPrefix && (VOICE_PROTOCOLS.has(flags.protocol ?? "") || flags.protocol === "session")) {
    p.add(`--prefix-tokens shapes LLM prompts and does not apply to --protocol ${flags.protocol}`);
  }
  const tokens = resolveTokenWorkload(p, flags, dataset !== null);
  if ((tokens.synthetic || tokens.tokenizer) && (VOICE_PROTOCOLS.has(flags.protocol ?? "") || flags.protocol === "session")) {
    p.add(`--tokenizer, --input-tokens and --output-tokens shape LLM requests and do not apply to --protocol ${flags.protocol}`);
  } else if (tokens.synthetic?.ignoreEos && !IGNORE_EOS_PROTOCOLS.has(flags.protocol ?? RUN_DEFAULTS.protocol)) {
    p.add(`--ignore-eos sends vLLM's min_tokens and ignore_eos fields, which only --protocol ${[...IGNORE_EOS_PROTOCOLS].join(" and ")} carry`);
  }
  const headers = parseHeaders(p, flags.header);
  let apiKeyEnv: string | null = null;
  if (flags.apiKeyEnv !== undefined) {
    apiKeyEnv = flags.apiKeyEnv;
    const key = env[flags.apiKeyEnv];
    if (!key) p.add(`--api-key-env: environment variable ${flags.apiKeyEnv} is not set`);
    else if (/[\0-\x1f\x7f]/.test(key)) p.add(`--api-key-env: environment variable ${flags.apiKeyEnv} holds control characters such as CR or LF`);
    else {
      const [name, value] = apiKeyHeader(flags.protocol ?? RUN_DEFAULTS.protocol, key);
      headers[name] = value;
    }
  }
  let sessionTokenSecret: string | null = null;
  if (flags.tokenSecretEnv !== undefined) {
    sessionTokenSecret = env[flags.tokenSecretEnv] || null;
    if (!sessionTokenSecret) p.add(`--token-secret-env: environment variable ${flags.tokenSecretEnv} is not set`);
  }

  const maxConcurrent =
    num(flags.maxConcurrent, "--max-concurrent", "positiveInt", "MAX_CONCURRENT_CLIENTS") ??
    (stages ? stages.users : pattern !== null ? RUN_DEFAULTS.openMaxConcurrent : RUN_DEFAULTS.maxConcurrent);
  const http2 = flags.http2 === true;
  const config: RunConfig = {
    target,
    wsTarget: wsTargetOf(p, flags.wsTarget),
    protocol: flags.protocol ?? RUN_DEFAULTS.protocol,
    model: flags.model ?? RUN_DEFAULTS.model,
    headers,
    apiKeyEnv,
    sessionTokenSecret,
    clients,
    cycles,
    maxConcurrent,
    thinkTimeS: num(flags.thinkTime, "--think-time", "nonNegative") ?? (stages ? STAGED_THINK_TIME_S : 0),
    requests,
    durationS,
    pattern,
    stages,
    scenario: flags.scenario ?? null,
    configFile: flags.configFile ?? null,
    dataset,
    sharedPrefix,
    conversations: resolveConversations(p, flags, flags.protocol ?? RUN_DEFAULTS.protocol),
    tokenizer: tokens.tokenizer,
    synthetic: tokens.synthetic,
    queueWhenFull: flags.queueWhenFull === true,
    // Against the embedded emulator the seed's 100 words apply; a real server keeps its own default.
    length: num(flags.length, "--length", "positiveInt", "RESPONSE_LENGTH_WORDS") ?? (target === null && flags.target === undefined ? RUN_DEFAULTS.length : null),
    delayS,
    ttftS: num(flags.ttft, "--ttft", "nonNegative") ?? delayS,
    emulatorStats: flags.emulatorStats === true,
    emulatorWorkers: flags.emulatorWorkers === "auto" ? availableParallelism() : (num(flags.emulatorWorkers, "--emulator-workers", "positiveInt") ?? 1),
    prompts,
    // Open patterns draw from the seed; a random one is chosen and reported so the run can be replayed.
    seed: num(flags.seed, "--seed", "nonNegativeInt") ?? (pattern !== null ? Math.floor(Math.random() * 2 ** 31) : null),
    timeoutS: num(flags.timeout, "--timeout", "positive", "REQUEST_TIMEOUT") ?? RUN_DEFAULTS.timeoutS,
    connectTimeoutS: num(flags.connectTimeout, "--connect-timeout", "positive", "CONNECTION_TIMEOUT") ?? RUN_DEFAULTS.connectTimeoutS,
    idleTimeoutS: num(flags.idleTimeout, "--idle-timeout", "positive") ?? RUN_DEFAULTS.idleTimeoutS,
    maxLineBytes: num(flags.maxLineBytes, "--max-line-bytes", "positiveInt") ?? RUN_DEFAULTS.maxLineBytes,
    handshakeTimeoutS: num(flags.handshakeTimeout, "--handshake-timeout", "positive") ?? RUN_DEFAULTS.handshakeTimeoutS,
    tls: tlsFilesOf(p, flags),
    http2,
    // HTTP/1.1 carries one stream per connection: as many as may be in flight. HTTP/2 multiplexes.
    maxConnections:
      num(flags.maxConnections, "--max-connections", "positiveInt") ?? (http2 ? Math.ceil(maxConcurrent / HTTP2_STREAMS_PER_CONNECTION) : maxConcurrent),
    gracefulStopS: 0,
    out: aliased(p, flags.out, flags.output, "--out", "--output"),
    raw: aliased(p, flags.raw, flags.outputRaw, "--raw", "--output-raw"),
    csv: flags.csv ?? null,
    save: flags.save !== false,
    resultsDir: flags.resultsDir ?? RUN_DEFAULTS.resultsDir,
    thresholds: flags.threshold ?? [],
    goodput: parseGoodput(p, flags.goodput),
    includeUsage: flags.usage !== false,
    exactTokens: flags.exactTokens === true || target === null,
    allowFailures: flags.allowFailures === true,
    quiet: flags.quiet === true,
    verbose: flags.verbose === true || flags.debug === true,
    debug: flags.debug === true,
    grpcVoice: resolveGrpcVoice(flags, flags.protocol ?? RUN_DEFAULTS.protocol, flags.target !== undefined, p),
    embeddings: resolveEmbeddings(flags, flags.protocol ?? RUN_DEFAULTS.protocol, p),
    voice: resolveVoiceRun(flags, p),
    distributed: SINGLE_PROCESS,
    observability: resolveObservability(flags, p),
  };
  if (http2 && (VOICE_PROTOCOLS.has(config.protocol) || config.protocol === "session")) {
    p.add(`--http2 is for the HTTP streaming protocols (${config.protocol} streams over ${config.protocol === GRPC_VOICE ? "gRPC, HTTP/2 already" : "a WebSocket"})`);
  } else if (http2 && flags.target === undefined) {
    p.add("--http2 needs --target: the embedded emulator serves HTTP/1.1 (start `tokenstorm emulate --http2` and point --target at it)");
  }
  applyVoiceRun(config, explicitCycles !== undefined, pattern === null && stages === null);
  config.gracefulStopS = num(flags.gracefulStop, "--graceful-stop", "nonNegative") ?? config.timeoutS;
  config.distributed = resolveDistributed(flags, p, config);
  if (!p.empty) throw new RunConfigError(nameVariables(p.lines, layered.fromEnvironment, environment));
  return config;
}

/** How --api-key-env's key is sent: Anthropic's Messages API takes it as x-api-key, the others as a bearer token. */
function apiKeyHeader(protocol: string, key: string): [string, string] {
  return protocol === "anthropic-messages" ? ["x-api-key", key] : ["authorization", `Bearer ${key}`];
}

/** The config as written into the report: secrets (auth headers, keys) redacted. */
export function redactedConfig(config: RunConfig): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers)) {
    headers[name] = /authorization|api[-_]?key|token|secret|cookie/i.test(name) ? "[redacted]" : value;
  }
  const shaped: Record<string, unknown> = { ...config, headers, distributed: reportedDistributed(config.distributed) };
  // The secret itself never goes into a report; whether tokens were signed does.
  shaped.sessionTokenSecret = config.sessionTokenSecret === null ? null : "[redacted]";
  // An open model has no clients or cycles: their defaults did not shape the run.
  if (config.pattern) {
    delete shaped.clients;
    delete shaped.cycles;
    delete shaped.thinkTimeS;
  }
  // Staged runs have users, not clients and cycles (the console's total_clients reads `users`).
  if (config.stages) {
    delete shaped.clients;
    delete shaped.cycles;
    shaped.users = config.stages.users;
  }
  // The dataset's prompts, or synthetic ones, replaced the built-in sets.
  if (config.dataset || config.synthetic?.inputTokens != null) delete shaped.prompts;
  return shaped;
}
