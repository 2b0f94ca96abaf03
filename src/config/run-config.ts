// The resolved configuration of `tokenstorm run`: CLI flags (and a config file) over a scenario, over
// TOKENSTORM_* variables (./environment.ts), over seed 000's variables, over defaults; every value
// typed by the run's settings schema (./run-settings.ts), every problem reported in one UsageError.
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
import { Problems } from "./values.js";
import { flagOf, given as isGiven, parseSettings } from "./settings.js";
import { runSettings, SEED_000_VARIABLES, type RunSettings } from "./run-settings.js";
import { GRPC_VOICE, resolveGrpcVoice } from "../protocols/grpc-voice/options.js";
import { resolveEmbeddings } from "../protocols/openai/embeddings-options.js";
import { grpcTarget } from "../protocols/grpc-voice/target.js";
import { reportedDistributed, resolveDistributed, SINGLE_PROCESS } from "../distributed/options.js";
import { resolveObservability } from "../report/observability.js";
import { applyVoiceRun, resolveVoiceRun, VOICE_PROTOCOLS, withSeed003Names } from "../voice/run-options.js";

import type { ConfigFileUsed, EnvironmentLayer, RawRunFlags, RunConfig } from "./run-types.js";

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
function tlsFilesOf(problems: Problems, flags: RunSettings): TlsFiles {
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

/**
 * Seed 000's variables (NUM_CLIENTS...) for the settings no other layer gave: typed by the same
 * schema, a bad value reported naming its variable. They are defaults, not settings given, so
 * NUM_CLIENTS in the environment does not make `--clients` "given" to the open or staged model.
 */
function seed000Defaults(flags: RawRunFlags, env: NodeJS.ProcessEnv, problems: Problems): RunSettings {
  const layer: EnvironmentLayer = { flags: {}, variables: {}, problems: [] };
  for (const [attribute, variable] of Object.entries(SEED_000_VARIABLES) as Array<[keyof typeof SEED_000_VARIABLES, string]>) {
    const value = env[variable];
    if (value === undefined || value === "" || flags[attribute] !== undefined) continue;
    layer.flags[attribute] = value;
    layer.variables[attribute] = { flag: flagOf(runSettings, attribute), variable };
  }
  const own = new Problems();
  const defaults = parseSettings(runSettings, layer.flags, own);
  for (const line of nameVariables(own.lines, new Set(Object.keys(layer.flags)), layer)) problems.add(line);
  return defaults;
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
  // Every value typed by the modules' schemas; what is refused is reported, naming its flag.
  const s = parseSettings(runSettings, flags, p);
  const d = seed000Defaults(flags, env, p);
  const protocol = s.protocol ?? RUN_DEFAULTS.protocol;

  let target: string | null = null;
  if (s.target !== undefined && protocol === GRPC_VOICE) {
    target = grpcTarget(p, s.target);
  } else if (s.target !== undefined) {
    try {
      const url = new URL(s.target);
      const schemes = VOICE_PROTOCOLS.has(protocol) ? ["http:", "https:", "ws:", "wss:"] : ["http:", "https:"];
      if (!schemes.includes(url.protocol)) throw new Error("scheme");
      target = url.toString();
    } catch {
      p.add(`--target must be an http:// or https:// URL (got "${s.target}")`);
    }
  }

  const clients = s.clients ?? d.clients ?? RUN_DEFAULTS.clients;
  const stages = resolveStages(s, p);
  // The staged model runs for its stages (its --duration is the hold: durationAsHold).
  const durationS = s.duration ?? (stages ? stagesLengthS(stages) : null);
  // A trace is an open model of its own: its arrivals, its lengths, one pass through it by default.
  const trace = resolveTrace(p, s);
  const requests = s.requests ?? (trace ? trace.dataset.entries.length : null);
  // With a duration or a request budget and no explicit cycles, clients cycle until the run stops.
  const explicitCycles = s.cycles ?? d.cycles;
  const cycles = explicitCycles ?? (durationS !== null || requests !== null ? null : RUN_DEFAULTS.cycles);
  const pattern = trace ? trace.plan : resolvePattern(s.pattern, s, p, { durationS, requests });
  if (s.pattern !== undefined) {
    for (const key of ["clients", "cycles", "thinkTime"] as const) {
      if (isGiven(s, key)) p.add(`${flagOf(runSettings, key)} is for the closed model and does not apply to --pattern ${s.pattern}`);
    }
  } else if (s.queueWhenFull === true && !trace) {
    p.add("--queue-when-full needs --pattern");
  }
  const delayS = s.delay ?? d.delay ?? RUN_DEFAULTS.delayS;

  if (s.prompts !== undefined && s.dataset !== undefined) p.add("--prompts and --dataset cannot be combined (the dataset's prompts replace the built-in sets)");
  const dataset = trace ? trace.dataset : s.dataset === undefined ? null : loadDataset(s.dataset, p);
  const prompts = (s.prompts ?? "short").split(",").map((name) => name.trim()).filter(Boolean);
  for (const name of prompts) {
    if (!PROMPT_SET_NAMES.includes(name)) p.add(`--prompts: unknown prompt set "${name}" (known: ${PROMPT_SET_NAMES.join(", ")})`);
  }

  const notLlm = VOICE_PROTOCOLS.has(protocol) || protocol === "session";
  const sharedPrefix = resolveSharedPrefix(p, s);
  if (sharedPrefix && notLlm) p.add(`--prefix-tokens shapes LLM prompts and does not apply to --protocol ${protocol}`);
  const tokens = resolveTokenWorkload(p, s, isGiven(s, "length"), dataset !== null);
  if ((tokens.synthetic || tokens.tokenizer) && notLlm) {
    p.add(`--tokenizer, --input-tokens and --output-tokens shape LLM requests and do not apply to --protocol ${protocol}`);
  } else if (tokens.synthetic?.ignoreEos && !IGNORE_EOS_PROTOCOLS.has(protocol)) {
    p.add(`--ignore-eos sends vLLM's min_tokens and ignore_eos fields, which only --protocol ${[...IGNORE_EOS_PROTOCOLS].join(" and ")} carry`);
  }
  const headers = parseHeaders(p, s.header);
  let apiKeyEnv: string | null = null;
  if (s.apiKeyEnv !== undefined) {
    apiKeyEnv = s.apiKeyEnv;
    const key = env[s.apiKeyEnv];
    if (!key) p.add(`--api-key-env: environment variable ${s.apiKeyEnv} is not set`);
    else if (/[\0-\x1f\x7f]/.test(key)) p.add(`--api-key-env: environment variable ${s.apiKeyEnv} holds control characters such as CR or LF`);
    else {
      const [name, value] = apiKeyHeader(protocol, key);
      headers[name] = value;
    }
  }
  let sessionTokenSecret: string | null = null;
  if (s.tokenSecretEnv !== undefined) {
    sessionTokenSecret = env[s.tokenSecretEnv] || null;
    if (!sessionTokenSecret) p.add(`--token-secret-env: environment variable ${s.tokenSecretEnv} is not set`);
  }

  const maxConcurrent = s.maxConcurrent ?? d.maxConcurrent ?? (stages ? stages.users : pattern !== null ? RUN_DEFAULTS.openMaxConcurrent : RUN_DEFAULTS.maxConcurrent);
  const http2 = s.http2 === true;
  const config: RunConfig = {
    target,
    wsTarget: wsTargetOf(p, s.wsTarget),
    protocol,
    model: s.model ?? RUN_DEFAULTS.model,
    headers,
    apiKeyEnv,
    sessionTokenSecret,
    clients,
    cycles,
    maxConcurrent,
    thinkTimeS: s.thinkTime ?? (stages ? STAGED_THINK_TIME_S : 0),
    requests,
    durationS,
    pattern,
    stages,
    scenario: s.scenario ?? null,
    configFile: cliFlags.configFile ?? null,
    dataset,
    sharedPrefix,
    conversations: resolveConversations(p, s, protocol, s.trace !== undefined),
    tokenizer: tokens.tokenizer,
    synthetic: tokens.synthetic,
    queueWhenFull: s.queueWhenFull === true,
    // Against the embedded emulator the seed's 100 words apply; a real server keeps its own default.
    length: s.length ?? d.length ?? (target === null && !isGiven(s, "target") ? RUN_DEFAULTS.length : null),
    delayS,
    ttftS: s.ttft ?? delayS,
    emulatorStats: s.emulatorStats === true,
    emulatorWorkers: s.emulatorWorkers === "auto" ? availableParallelism() : (s.emulatorWorkers ?? 1),
    prompts,
    // Open patterns draw from the seed; a random one is chosen and reported so the run can be replayed.
    seed: s.seed ?? (pattern !== null ? Math.floor(Math.random() * 2 ** 31) : null),
    timeoutS: s.timeout ?? d.timeout ?? RUN_DEFAULTS.timeoutS,
    connectTimeoutS: s.connectTimeout ?? d.connectTimeout ?? RUN_DEFAULTS.connectTimeoutS,
    idleTimeoutS: s.idleTimeout ?? RUN_DEFAULTS.idleTimeoutS,
    maxLineBytes: s.maxLineBytes ?? RUN_DEFAULTS.maxLineBytes,
    handshakeTimeoutS: s.handshakeTimeout ?? RUN_DEFAULTS.handshakeTimeoutS,
    tls: tlsFilesOf(p, s),
    http2,
    // HTTP/1.1 carries one stream per connection: as many as may be in flight. HTTP/2 multiplexes.
    maxConnections: s.maxConnections ?? (http2 ? Math.ceil(maxConcurrent / HTTP2_STREAMS_PER_CONNECTION) : maxConcurrent),
    gracefulStopS: 0,
    out: aliased(p, s.out, s.output, "--out", "--output"),
    raw: aliased(p, s.raw, s.outputRaw, "--raw", "--output-raw"),
    csv: s.csv ?? null,
    save: s.save !== false,
    resultsDir: s.resultsDir ?? RUN_DEFAULTS.resultsDir,
    thresholds: s.threshold ?? [],
    goodput: parseGoodput(p, s.goodput),
    includeUsage: s.usage !== false,
    exactTokens: s.exactTokens === true || target === null,
    allowFailures: s.allowFailures === true,
    quiet: s.quiet === true,
    verbose: s.verbose === true || s.debug === true,
    debug: s.debug === true,
    grpcVoice: resolveGrpcVoice(s, protocol, isGiven(s, "target"), p),
    embeddings: resolveEmbeddings(s, protocol, p),
    voice: resolveVoiceRun(s, p),
    distributed: SINGLE_PROCESS,
    observability: resolveObservability(s, p),
  };
  if (http2 && notLlm) {
    p.add(`--http2 is for the HTTP streaming protocols (${config.protocol} streams over ${config.protocol === GRPC_VOICE ? "gRPC, HTTP/2 already" : "a WebSocket"})`);
  } else if (http2 && !isGiven(s, "target")) {
    p.add("--http2 needs --target: the embedded emulator serves HTTP/1.1 (start `tokenstorm emulate --http2` and point --target at it)");
  }
  applyVoiceRun(config, explicitCycles !== undefined, pattern === null && stages === null);
  config.gracefulStopS = s.gracefulStop ?? config.timeoutS;
  config.distributed = resolveDistributed(s, p, config);
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
