// The resolved configuration of `tokenstorm run`: CLI flags over environment variables (seed 000
// names) over defaults, every value validated, every problem reported in one UsageError.
import { UsageError } from "../errors.js";
import type { GoodputSlos } from "../metrics/collector.js";
import { LATENCY_METRIC_NAMES, type LatencyMetricName } from "../metrics/registry.js";
import type { ArrivalPlan, OpenPatternFlags } from "../workload/open.js";
import { resolvePattern } from "../workload/patterns.js";
import { PROMPT_SET_NAMES } from "../workload/prompts.js";
import { loadDataset, type PromptDataset } from "../workload/dataset.js";
import { resolveStages, stagesLengthS, STAGED_THINK_TIME_S, type StagePlan } from "../workload/stages.js";
import { applyScenario } from "./scenarios.js";
import { Problems, type ValueKind } from "./values.js";
import { GRPC_VOICE, resolveGrpcVoice, type GrpcVoiceFlags, type GrpcVoiceOptions } from "../protocols/grpc-voice/options.js";
import { grpcTarget } from "../protocols/grpc-voice/target.js";
import { reportedDistributed, resolveDistributed, SINGLE_PROCESS, type DistributedFlags, type DistributedOptions } from "../distributed/options.js";
import { resolveObservability, type ObservabilityFlags, type ObservabilityOptions } from "../report/observability.js";
import { applyVoiceRun, resolveVoiceRun, VOICE_PROTOCOLS, withSeed003Names, type VoiceRunConfig, type VoiceRunFlags } from "../voice/run-options.js";

export interface ConfigFileUsed {
  path: string;
  scenario: string | null;
}

/** Flags as commander hands them over (strings, booleans, repeated lists). */
export interface RawRunFlags extends OpenPatternFlags, DistributedFlags, ObservabilityFlags, GrpcVoiceFlags, VoiceRunFlags {
  target?: string;
  wsTarget?: string;
  protocol?: string;
  model?: string;
  header?: string[];
  apiKeyEnv?: string;
  clients?: string;
  cycles?: string;
  maxConcurrent?: string;
  thinkTime?: string;
  /** Staged closed model (seed 002): users started over --ramp-up, held, stopped over --ramp-down. */
  users?: string;
  rampUp?: string;
  hold?: string;
  rampDown?: string;
  /** A named preset (src/config/scenarios.ts) under the CLI flags. */
  scenario?: string;
  /** The --config file the flags came from and the file scenario chosen (src/config/file.ts), for the report. */
  configFile?: ConfigFileUsed;
  /** A JSONL or CSV file of prompts instead of the built-in sets. */
  dataset?: string;
  requests?: string;
  duration?: string;
  pattern?: string;
  queueWhenFull?: boolean;
  length?: string;
  delay?: string;
  ttft?: string;
  prompts?: string;
  seed?: string;
  timeout?: string;
  connectTimeout?: string;
  idleTimeout?: string;
  gracefulStop?: string;
  out?: string;
  raw?: string;
  csv?: string;
  save?: boolean;
  resultsDir?: string;
  threshold?: string[];
  goodput?: string;
  usage?: boolean;
  exactTokens?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** Seed 002's names: --output for --out, --output-raw for --raw; --debug prints every request. */
  output?: string;
  outputRaw?: string;
  debug?: boolean;
  /** Seed 002: write test WAV files into --audio-dir instead of running. */
  createTestAudio?: boolean;
}

export interface RunConfig {
  target: string | null;
  /** The WebSocket endpoint when it is not on the target's host (session: the gateway, HAProxy :9001). */
  wsTarget: string | null;
  protocol: string;
  model: string;
  headers: Record<string, string>;
  apiKeyEnv: string | null;
  clients: number;
  cycles: number | null;
  maxConcurrent: number;
  thinkTimeS: number;
  requests: number | null;
  durationS: number | null;
  /** The open model's arrival pattern; null runs the closed model. */
  pattern: ArrivalPlan | null;
  /** The staged closed model's users and stages (--users); null otherwise. */
  stages: StagePlan | null;
  /** The named scenario under the flags (--scenario), if any. */
  scenario: string | null;
  configFile: ConfigFileUsed | null;
  /** Prompts from a file (--dataset) instead of the built-in sets. */
  dataset: PromptDataset | null;
  /** Open model at the concurrency cap: wait for a slot instead of dropping the arrival. */
  queueWhenFull: boolean;
  /** Output tokens asked for per request (max_tokens); seed 000's response length in words. Null: the server decides. */
  length: number | null;
  /** Inter-token delay asked of the emulator, seconds (seed 000's token delay). */
  delayS: number;
  /** Time to first token asked of the emulator, seconds (defaults to the token delay). */
  ttftS: number;
  prompts: string[];
  seed: number | null;
  timeoutS: number;
  connectTimeoutS: number;
  idleTimeoutS: number;
  gracefulStopS: number;
  out: string | null;
  raw: string | null;
  csv: string | null;
  save: boolean;
  resultsDir: string;
  thresholds: string[];
  goodput: GoodputSlos;
  includeUsage: boolean;
  exactTokens: boolean;
  quiet: boolean;
  verbose: boolean;
  /** One line per finished request on stderr (implies verbose). */
  debug: boolean;
  /** --proto, --service, --grpc-unavailable-rate (src/protocols/grpc-voice/options.ts). */
  grpcVoice: GrpcVoiceOptions;
  /** Voice conversations (realtime, grpc-voice): scenario weights, audio, targets (src/voice/run-options.ts). */
  voice: VoiceRunConfig;
  /** Segments, local workers, Redis controller (src/distributed/options.ts). */
  distributed: DistributedOptions;
  /** --html, --prometheus-*, --web*, --linger (src/report/observability.ts). */
  observability: ObservabilityOptions;
}

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
  resultsDir: "tokenstorm-results",
} as const;

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
    headers[name.toLowerCase()] = line.slice(colon + 1).trim();
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
  const flags = withSeed003Names(applyScenario(cliFlags), p);
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
  const stages = resolveStages(flags, p, durationFlagS);
  // The staged model runs for its stages unless --duration cuts it short (or lets it finish early).
  const durationS = durationFlagS ?? (stages ? stagesLengthS(stages) : null);
  const requests = num(flags.requests, "--requests", "positiveInt") ?? null;
  // With a duration or a request budget and no explicit cycles, clients cycle until the run stops.
  const explicitCycles = num(flags.cycles, "--cycles", "positiveInt", "CYCLES_PER_CLIENT");
  const cycles = explicitCycles ?? (durationS !== null || requests !== null ? null : RUN_DEFAULTS.cycles);
  const pattern = resolvePattern(flags.pattern, flags, p, { durationS, requests });
  if (flags.pattern !== undefined) {
    const closedOnly: Array<[string, unknown]> = [["--clients", flags.clients], ["--cycles", flags.cycles], ["--think-time", flags.thinkTime]];
    for (const [flag, value] of closedOnly) if (value !== undefined) p.add(`${flag} is for the closed model and does not apply to --pattern ${flags.pattern}`);
  } else if (flags.queueWhenFull === true) {
    p.add("--queue-when-full needs --pattern");
  }
  const delayS = num(flags.delay, "--delay", "nonNegative", "TOKEN_DELAY_SECONDS") ?? RUN_DEFAULTS.delayS;

  if (flags.prompts !== undefined && flags.dataset !== undefined) p.add("--prompts and --dataset cannot be combined (the dataset's prompts replace the built-in sets)");
  const dataset = flags.dataset === undefined ? null : loadDataset(flags.dataset, p);
  const prompts = (flags.prompts ?? "short").split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of prompts) {
    if (!PROMPT_SET_NAMES.includes(name)) p.add(`--prompts: unknown prompt set "${name}" (known: ${PROMPT_SET_NAMES.join(", ")})`);
  }

  const headers = parseHeaders(p, flags.header);
  let apiKeyEnv: string | null = null;
  if (flags.apiKeyEnv !== undefined) {
    apiKeyEnv = flags.apiKeyEnv;
    const key = env[flags.apiKeyEnv];
    if (!key) p.add(`--api-key-env: environment variable ${flags.apiKeyEnv} is not set`);
    else headers.authorization = `Bearer ${key}`;
  }

  const config: RunConfig = {
    target,
    wsTarget: wsTargetOf(p, flags.wsTarget),
    protocol: flags.protocol ?? RUN_DEFAULTS.protocol,
    model: flags.model ?? RUN_DEFAULTS.model,
    headers,
    apiKeyEnv,
    clients,
    cycles,
    maxConcurrent:
      num(flags.maxConcurrent, "--max-concurrent", "positiveInt", "MAX_CONCURRENT_CLIENTS") ??
      (stages ? stages.users : flags.pattern !== undefined ? RUN_DEFAULTS.openMaxConcurrent : RUN_DEFAULTS.maxConcurrent),
    thinkTimeS: num(flags.thinkTime, "--think-time", "nonNegative") ?? (stages ? STAGED_THINK_TIME_S : 0),
    requests,
    durationS,
    pattern,
    stages,
    scenario: flags.scenario ?? null,
    configFile: flags.configFile ?? null,
    dataset,
    queueWhenFull: flags.queueWhenFull === true,
    // Against the embedded emulator the seed's 100 words apply; a real server keeps its own default.
    length: num(flags.length, "--length", "positiveInt", "RESPONSE_LENGTH_WORDS") ?? (target === null && flags.target === undefined ? RUN_DEFAULTS.length : null),
    delayS,
    ttftS: num(flags.ttft, "--ttft", "nonNegative") ?? delayS,
    prompts,
    // Open patterns draw from the seed; a random one is chosen and reported so the run can be replayed.
    seed: num(flags.seed, "--seed", "nonNegativeInt") ?? (flags.pattern !== undefined ? Math.floor(Math.random() * 2 ** 31) : null),
    timeoutS: num(flags.timeout, "--timeout", "positive", "REQUEST_TIMEOUT") ?? RUN_DEFAULTS.timeoutS,
    connectTimeoutS: num(flags.connectTimeout, "--connect-timeout", "positive", "CONNECTION_TIMEOUT") ?? RUN_DEFAULTS.connectTimeoutS,
    idleTimeoutS: num(flags.idleTimeout, "--idle-timeout", "positive") ?? RUN_DEFAULTS.idleTimeoutS,
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
    quiet: flags.quiet === true,
    verbose: flags.verbose === true || flags.debug === true,
    debug: flags.debug === true,
    grpcVoice: resolveGrpcVoice(flags, flags.protocol ?? RUN_DEFAULTS.protocol, flags.target !== undefined, p),
    voice: resolveVoiceRun(flags, p),
    distributed: SINGLE_PROCESS,
    observability: resolveObservability(flags, p),
  };
  applyVoiceRun(config, explicitCycles !== undefined, pattern === null && stages === null);
  config.gracefulStopS = num(flags.gracefulStop, "--graceful-stop", "nonNegative") ?? config.timeoutS;
  config.distributed = resolveDistributed(flags, p, config);
  if (!p.empty) throw new RunConfigError(p.lines);
  return config;
}

/** The config as written into the report: secrets (auth headers, keys) redacted. */
export function redactedConfig(config: RunConfig): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers)) {
    headers[name] = /authorization|api[-_]?key|token|secret|cookie/i.test(name) ? "[redacted]" : value;
  }
  const shaped: Record<string, unknown> = { ...config, headers, distributed: reportedDistributed(config.distributed) };
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
  // The dataset's prompts replaced the built-in sets.
  if (config.dataset) delete shaped.prompts;
  return shaped;
}
