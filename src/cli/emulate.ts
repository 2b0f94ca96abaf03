// `tokenstorm emulate`: parse and validate the flags, start the emulator, stop it on SIGINT/SIGTERM.
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { startEmulator } from "../emulator/index.js";
import {
  type EmulatorOptions,
  failureRatesProblem,
  NUMERIC_OPTION_RULES,
  type NumericOptionName,
  requirementOf,
  satisfiesRule,
  TEXT_MODES,
  type TextMode,
} from "../emulator/options.js";
import { addVoiceEmulatorOptions, voiceSettingsFromFlags } from "../voice/options.js";

interface EmulateFlags {
  host?: string;
  port?: string;
  ttftMs?: string;
  itlMs?: string;
  jitter?: string;
  length?: string;
  text?: string;
  errorRate?: string;
  errorStatus?: string;
  disconnectRate?: string;
  truncateRate?: string;
  maxRunning?: string;
  maxWaiting?: string;
  slowdownUnderLoad?: string;
  extraDelayMs?: string;
  seed?: string;
  model?: string;
  ndjson?: boolean;
  grpcPort?: string;
  grpcUnavailableRate?: string;
}

/** Each numeric flag and the option it sets; the option's rule decides what is valid. */
const NUMERIC_FLAGS: Array<[flag: string, key: keyof EmulateFlags, option: NumericOptionName]> = [
  ["--port", "port", "port"],
  ["--ttft-ms", "ttftMs", "ttftMs"],
  ["--itl-ms", "itlMs", "itlMs"],
  ["--jitter", "jitter", "jitter"],
  ["--length", "length", "length"],
  ["--error-rate", "errorRate", "errorRate"],
  ["--disconnect-rate", "disconnectRate", "disconnectRate"],
  ["--truncate-rate", "truncateRate", "truncateRate"],
  ["--max-running", "maxRunning", "maxRunning"],
  ["--max-waiting", "maxWaiting", "maxWaiting"],
  ["--slowdown-under-load", "slowdownUnderLoad", "slowdownUnderLoad"],
  ["--extra-delay-ms", "extraDelayMs", "extraDelayPerTokenMs"],
  ["--seed", "seed", "seed"],
  ["--grpc-port", "grpcPort", "grpcPort"],
  ["--grpc-unavailable-rate", "grpcUnavailableRate", "grpcUnavailableRate"],
];

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(raw: string): number {
  return DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
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
  const ratesProblem = failureRatesProblem(options);
  if (ratesProblem) problems.push(`--error-rate, --disconnect-rate and --truncate-rate ${ratesProblem}`);
  if (flags.text !== undefined) {
    if (TEXT_MODES.includes(flags.text as TextMode)) options.text = flags.text as TextMode;
    else problems.push(`--text must be one of ${TEXT_MODES.join(", ")} (got "${flags.text}")`);
  }
  for (const [flag, key] of [["--host", "host"], ["--model", "model"]] as const) {
    const raw = flags[key];
    if (raw === undefined) continue;
    if (raw.trim() === "") problems.push(`${flag} must not be empty (got "${raw}")`);
    else options[key] = raw;
  }
  if (flags.ndjson) options.ndjsonCompletions = true;
  const voice = voiceSettingsFromFlags(flags as Record<string, unknown>, problems);
  if (Object.keys(voice).length > 0) options.voice = voice;
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return options;
}

async function emulate(flags: EmulateFlags): Promise<void> {
  const emulator = await startEmulator(emulateOptionsFromFlags(flags));
  process.stdout.write(`tokenstorm emulator listening on ${emulator.url}\n`);
  if (emulator.grpcUrl) process.stdout.write(`tokenstorm voice gateway (gRPC) listening on ${emulator.grpcUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await emulator.close();
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
    .option("--text <mode>", `response words: ${TEXT_MODES.join("|")} (default lorem)`)
    .option("--error-rate <fraction>", "fraction of requests answered with an error status (default 0)")
    .option("--error-status <list>", "comma-separated statuses for injected errors (default 500)")
    .option("--disconnect-rate <fraction>", "fraction of streams whose socket is destroyed mid-stream (default 0)")
    .option("--truncate-rate <fraction>", "fraction of streams ended early without an end marker (default 0)")
    .option("--max-running <n>", "generations at once, further requests queue; 0 = unlimited (default 0)")
    .option("--max-waiting <n>", "queue length beyond which requests get 429 (default unlimited)")
    .option("--slowdown-under-load <factor>", "ITL grows by factor × (running - 1) (default 0)")
    .option("--extra-delay-ms <ms>", "added to every inter-token delay (default 0)")
    .option("--seed <n>", "seed of jitter and failure draws (default random)")
    .option("--model <name>", "model name reported (default tokenstorm-emulator)")
    .option("--ndjson", "/v1/completions always streams seed 004's NDJSON")
    .option("--grpc-port <port>", "also serve the voice agent as a gRPC gateway (proto/voice/v1/voice.proto) on this port, 0 for a free one")
    .option("--grpc-unavailable-rate <fraction>", "fraction of gRPC calls refused with UNAVAILABLE (default 0)");
  return addVoiceEmulatorOptions(command).action(emulate);
}
