// `tokenstorm emulate`: parse and validate the flags, start the emulator, stop it on SIGINT/SIGTERM.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { startEmulator, type RunningEmulator } from "../emulator/index.js";
import { fleetSize, startEmulatorFleet } from "../emulator/fleet.js";
import { warnOnLowFileLimit } from "../emulator/file-limit.js";
import { type EmulatorOptions, type EmulatorTls } from "../emulator/options.js";
import { emulatorSettings, emulatorSettingsProblems, numberFromText } from "../emulator/settings.js";
import { attributeOfFlag, describeSettings, helpLine, parseSettings } from "../config/settings.js";
import { Problems } from "../config/values.js";
import { addVoiceEmulatorOptions, voiceSettingsFromFlags } from "../voice/settings.js";
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

/** Each setting's key and flag, in the schema's order. */
const SETTINGS = describeSettings(emulatorSettings);

/** A setting's line in `emulate --help`. */
function helpOf(key: keyof typeof emulatorSettings.shape): string {
  return helpLine(emulatorSettings, key);
}

/** --tls-cert, --tls-key, --tls-client-ca read as PEM text; problems name their flag. */
function emulatorTlsOf(flags: EmulateFlags, problems: Problems): EmulatorTls | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) {
    if (flags.tlsClientCa !== undefined) problems.add("--tls-client-ca needs --tls-cert and --tls-key");
    return undefined;
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    problems.add(flags.tlsCert === undefined ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key");
    return undefined;
  }
  const read = (flag: string, path: string): string | undefined => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      problems.add(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
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
    problems.add(`--tls-cert/--tls-key${clientCa !== undefined ? "/--tls-client-ca" : ""}: not a usable certificate and key (${reason})`);
    return undefined;
  }
  return clientCa !== undefined ? { cert, key, clientCa } : { cert, key };
}

/** Flags to emulator options; every bad value is reported, in one UsageError naming each flag. */
export function emulateOptionsFromFlags(flags: EmulateFlags): EmulatorOptions {
  const problems = new Problems();
  const options = emulatorOptionsOf(flags, problems);
  if (!problems.empty) throw new UsageError(problems.lines.join("; "));
  return options;
}

/** What `emulate` serves: the emulator's options, on how many processes (--workers) or servers (--instances). */
interface EmulatePlan {
  options: EmulatorOptions;
  workers: number;
  instances: number;
}

/** The whole command's flags, every bad value and conflict in one UsageError (the serving flags' with the rest). */
export function emulatePlanFromFlags(flags: EmulateFlags): EmulatePlan {
  const problems = new Problems();
  const options = emulatorOptionsOf(flags, problems);
  const workers = flags.workers === undefined ? 1 : fleetSize(flags.workers);
  if (workers === undefined) problems.add(`--workers must be an integer >= 1 or auto (got "${flags.workers}")`);
  const instances = flags.instances === undefined ? 1 : numberFromText(flags.instances);
  if (!Number.isInteger(instances) || instances < 1) problems.add(`--instances must be an integer >= 1 (got "${flags.instances}")`);
  else if (instances > 1) {
    if (workers !== undefined && workers > 1) problems.add("--instances and --workers: give one of them (each instance is one process's server)");
    if (options.grpcPort !== undefined) problems.add("--grpc-port serves one gateway: leave it out with --instances");
    const base = options.port ?? 8000;
    if (base !== 0 && base + instances - 1 > 65535) problems.add(`--instances ${instances} from --port ${base} runs past port 65535`);
  }
  if (!problems.empty) throw new UsageError(problems.lines.join("; "));
  return { options, workers: workers!, instances };
}

function emulatorOptionsOf(flags: EmulateFlags, problems: Problems): EmulatorOptions {
  const given = flags as Record<string, unknown>;
  const raw = Object.fromEntries(SETTINGS.map(({ key, flag }) => [key, given[attributeOfFlag(flag)]]));
  const options: EmulatorOptions = parseSettings(emulatorSettings, raw, problems);
  for (const line of emulatorSettingsProblems(options)) problems.add(line);
  if (options.tokenizer !== undefined) {
    try {
      loadTokenizer(options.tokenizer);
    } catch (err) {
      problems.add(`--tokenizer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (flags.apiKeyEnv !== undefined) {
    const key = process.env[flags.apiKeyEnv];
    if (!flags.session) problems.add("--api-key-env keys the session APIs: it needs --session");
    else if (!key) problems.add(`--api-key-env: environment variable ${flags.apiKeyEnv} is not set`);
    else options.sessionApiKey = key;
  }
  const tls = emulatorTlsOf(flags, problems);
  if (tls) options.tls = tls;
  const voice = voiceSettingsFromFlags(given, problems);
  if (Object.keys(voice).length > 0) options.voice = voice;
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
  const { options, workers, instances } = emulatePlanFromFlags(flags);
  // The session's run and publish APIs change state: without a key of the user's own, one is made
  // up and printed at start-up.
  if (options.session && options.sessionApiKey === undefined) options.sessionApiKey = randomBytes(16).toString("hex");
  const sessionKey = flags.apiKeyEnv === undefined ? `API key ${options.sessionApiKey} (made up for this run; --api-key-env NAME sets one)` : `API key from ${flags.apiKeyEnv}`;
  warnOnLowFileLimit();
  if (instances > 1) {
    await serveInstances(options, instances, sessionKey);
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
  if (options.session) process.stdout.write(`tokenstorm session gateway on ${emulator.url.replace(/^http/, "ws")}/connection/websocket, API on ${emulator.url}/api/run, ${sessionKey}\n`);
  if (emulator.grpcUrl) process.stdout.write(`tokenstorm voice gateway (gRPC) listening on ${emulator.grpcUrl}\n`);
  await untilSignalled();
  await emulator.close();
}

/**
 * `--instances N`: N independent emulated servers, each with its own admission, caches and counters,
 * on consecutive ports (or N free ones with --port 0), for a router or load balancer in front of them.
 */
async function serveInstances(options: EmulatorOptions, instances: number, sessionKey: string): Promise<void> {
  const base = options.port ?? 8000;
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
  if (options.session) process.stdout.write(`tokenstorm session APIs of every instance take the ${sessionKey}\n`);
  await untilSignalled();
  await Promise.all(started.map((emulator) => emulator.close()));
}

export function registerEmulateCommand(program: Command): Command {
  const command = program
    .command("emulate")
    .description("serve emulated OpenAI-compatible, Ollama and NDJSON streaming endpoints and a realtime voice agent (WebSocket /v1/realtime) with exact timing")
    .option("--host <host>", helpOf("host"))
    .option("--port <port>", helpOf("port"))
    .option("--ttft-ms <ms>", helpOf("ttftMs"))
    .option("--itl-ms <ms>", helpOf("itlMs"))
    .option("--jitter <fraction>", helpOf("jitter"))
    .option("--length <tokens>", helpOf("length"))
    .option("--max-request-tokens <n>", helpOf("maxRequestTokens"))
    .option("--text <mode>", helpOf("text"))
    .option("--error-rate <fraction>", helpOf("errorRate"))
    .option("--error-status <list>", helpOf("errorStatuses"))
    .option("--disconnect-rate <fraction>", helpOf("disconnectRate"))
    .option("--truncate-rate <fraction>", helpOf("truncateRate"))
    .option("--max-running <n>", helpOf("maxRunning"))
    .option("--max-waiting <n>", helpOf("maxWaiting"))
    .option("--slowdown-under-load <factor>", helpOf("slowdownUnderLoad"))
    .option("--extra-delay-ms <ms>", helpOf("extraDelayPerTokenMs"))
    .option("--prefill-ms-per-1k <ms>", helpOf("prefillMsPer1k"))
    .option("--prefix-cache-tokens <n>", helpOf("prefixCacheTokens"))
    .option("--block-size <tokens>", helpOf("blockSize"))
    .option("--kv-cache-tokens <n>", helpOf("kvCacheTokens"))
    .option("--decode-ms-per-1k-kv <ms>", helpOf("decodeMsPer1kKv"))
    .option("--reasoning-tokens <n>", helpOf("reasoningTokens"))
    .option("--tool-call-rate <fraction>", helpOf("toolCallRate"))
    .option("--tokenizer <name|path>", helpOf("tokenizer"))
    .option("--seed <n>", helpOf("seed"))
    .option("--model <name>", helpOf("model"))
    .option("--session", helpOf("session"))
    .option("--api-key-env <name>", "with --session: /api/run and /api/publish take the API key in this environment variable (Authorization: apikey|Bearer KEY or X-API-Key), 401 without; left out, a key is made up and printed at start")
    .option("--ndjson", helpOf("ndjsonCompletions"))
    .option("--grpc-port <port>", helpOf("grpcPort"))
    .option("--grpc-unavailable-rate <fraction>", helpOf("grpcUnavailableRate"))
    .option("--slow-client-ms <ms>", helpOf("slowClientLimitMs"))
    .option("--instances <n>", "n independent servers (own capacity, caches and /metrics each) on consecutive ports from --port, for a router in front (default 1)")
    .option("--tls-cert <file>", "serve https:// and wss:// with this PEM certificate (chain); with --tls-key")
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option("--tls-client-ca <file>", "mutual TLS: refuse clients without a certificate signed by a CA in this PEM file")
    .option("--http2", helpOf("http2"))
    .option("--workers <n>", "serve from n processes sharing the port (auto: one per core); /stats, /metrics and capacity limits are the whole server's (default 1)");
  return addVoiceEmulatorOptions(command).action(emulate);
}
