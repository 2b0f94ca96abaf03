// `tokenstorm run`: parse and validate flags, start the embedded emulator when no target is given,
// wire driver, load model and outputs together, and turn the outcome into files and an exit code.
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { addObservabilityOptions } from "./observability.js";
import { collect } from "./repeatable.js";
import { runFlagsFromCommand } from "./run-flags.js";
import { resolveRunConfig, type RawRunFlags, type RunConfig } from "../config/run-config.js";
import { OVERRIDE_HEADERS } from "../emulator/overrides.js";
import { addDistributedOptions } from "../distributed/options.js";
import { distributedController } from "../distributed/controller.js";
import { runLoadTest } from "../engine/load-test.js";
import { findProtocol } from "../protocols/registry.js";
import { ConsoleSummaryOutput } from "../report/console.js";
import { CsvRequestsOutput } from "../report/csv.js";
import { HtmlReportOutput } from "../report/html.js";
import { JsonReportOutput } from "../report/json.js";
import { startLiveOutputs } from "../report/observability.js";
import type { Output } from "../report/output.js";
import { ProgressOutput } from "../report/progress.js";
import { RawRequestsOutput } from "../report/raw.js";
import { parseThresholds } from "../report/thresholds.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { addVoiceRunOptions } from "../voice/run-options.js";
import { addGrpcVoiceOptions } from "../protocols/grpc-voice/options.js";
import { RequestLogOutput } from "../report/request-log.js";
import { createRunTestAudio } from "./run-test-audio.js";

export function registerRunCommand(program: Command): void {
  addGrpcVoiceOptions(addVoiceRunOptions(addDistributedOptions(addObservabilityOptions(program.command("run")))))
    .description("run a load test (with no --target, against the embedded emulator)")
    .option("-t, --target <url>", "base URL of the service under test; grpc-voice: host:port or grpc(s)://host:port (default: start the embedded emulator)")
    .option("--ws-target <url>", "session: the gateway's WebSocket URL when it is not on --target's host (e.g. ws://host:9001/connection/websocket)")
    .option("--protocol <name>", "protocol driver (openai-chat, openai-completions, ollama-generate, ollama-chat, ndjson, session, realtime, grpc-voice)")
    .option("--model <name>", "model name sent with each request")
    .option("--header <header>", "extra request header 'Name: value' (repeatable)", collect)
    .option("--api-key-env <var>", "send 'Authorization: Bearer $VAR'")
    .option("--clients <n>", "virtual clients (closed model) [env NUM_CLIENTS, default 10]")
    .option("--cycles <n>", "requests per client [env CYCLES_PER_CLIENT, default 5]")
    .option("--max-concurrent <n>", "cap on requests in flight [env MAX_CONCURRENT_CLIENTS, default 50]")
    .option("--think-time <s>", "pause between a client's requests, seconds (default 0; 1 with --users)")
    .option("-u, --users <n>", "staged model (seed 002): virtual users started over --ramp-up, held, stopped over --ramp-down")
    .option("--ramp-up <s>", "staged model: seconds over which users start, evenly (default 0)")
    .option("--hold <s>", "staged model: seconds all users run (default: until --duration)")
    .option("--ramp-down <s>", "staged model: seconds over which users stop, evenly (default 0)")
    .option("-s, --scenario <name>", "named preset under these flags (see `tokenstorm scenarios`)")
    .option("--requests <n>", "stop after this many requests in total (realtime, grpc-voice: turns per session, as seed 003)")
    .option("-d, --duration <s>", "stop issuing requests after this many seconds")
    .option("--pattern <name>", `open model: requests arrive on a schedule (${PATTERN_NAMES.join("|")}); default: the closed model`)
    .option("--rps <r>", "arrival rate, requests/s (constant, poisson, ramp target, chaos mean, spike baseline, burst base)")
    .option("--burstiness <k>", "poisson: gamma shape of the gaps; 1 is Poisson, below 1 burstier (default 1)")
    .option("--rps-start <r>", "ramp: rate at the start, requests/s (default 0)")
    .option("--burst-size <n>", "burst: requests per burst (default 50)")
    .option("--burst-every <s>", "burst: seconds between bursts (default 10)")
    .option("--spike-multiplier <x>", "spike: rate during a spike, times --rps (default 5)")
    .option("--spike-every <s>", "spike: seconds between spike starts (default 30)")
    .option("--spike-duration <s>", "spike: seconds a spike lasts (default 5)")
    .option("--steps <stages>", "steps: rate stages 'rps:seconds,...', e.g. '5:10,10:10,20:30'")
    .option("--queue-when-full", "open model at --max-concurrent: wait for a slot instead of dropping the arrival")
    .option("--length <n>", "output tokens asked for per request (max_tokens) [env RESPONSE_LENGTH_WORDS, default 100 on the emulator]")
    .option("--delay <s>", "inter-token delay asked of the emulator, seconds [env TOKEN_DELAY_SECONDS, default 0.01]")
    .option("--ttft <s>", "time to first token asked of the emulator, seconds (default: --delay)")
    .option("--prompts <sets>", "built-in prompt sets, comma separated: short,medium,long (default short)")
    .option("--dataset <file>", "prompts from a .jsonl ({\"prompt\"} or {\"messages\"}, optional max_tokens, type) or .csv file")
    .option("--seed <n>", "seed for reproducible choices")
    .option("--timeout <s>", "whole-request timeout, seconds [env REQUEST_TIMEOUT, default 120]")
    .option("--connect-timeout <s>", "TCP connect timeout, seconds [env CONNECTION_TIMEOUT, default 60]")
    .option("--idle-timeout <s>", "fail a stream with no bytes for this long, seconds (default 30)")
    .option("--graceful-stop <s>", "after --duration, how long in-flight requests may finish (default: --timeout)")
    .option("--out <file>", "write the report JSON here")
    .option("--raw <file>", "stream one NDJSON line per finished request here")
    .option("-o, --output <file>", "same as --out (seed 002's name)")
    .option("--output-raw <file>", "same as --raw (seed 002's name)")
    .option("--csv <file>", "stream one CSV row per finished request here")
    .option("--no-save", "do not keep a copy of the results under ./tokenstorm-results/<time>/")
    .addOption(new Option("--results-dir <dir>", "where saved results go").default(undefined).hideHelp())
    .option("--threshold <expr>", "pass/fail criterion, e.g. 'ttft.p95<2500ms' (repeatable; exit 99 on failure)", collect)
    .option("--goodput <slos>", "per-request SLOs for goodput, ms: 'ttft:500,tpot:50'")
    .option("--no-usage", "do not ask for the usage chunk (stream_options.include_usage)")
    .option("--exact-tokens", "the server sends one token per chunk: count usage minus received as token loss")
    .option("--quiet", "no live progress")
    .option("-v, --verbose", "print run details to stderr")
    .option("--debug", "also print one line per finished request to stderr")
    .option("--create-test-audio", "write test WAV files (16 kHz) into --audio-dir and stop (seed 002)")
    .option("--config <file>", "YAML file of run settings (keys: the long flag names) and named scenarios")
    .action(async (_flags: RawRunFlags, command: Command) => {
      process.exitCode = await runCommand(runFlagsFromCommand(command));
    });
}

/** A results folder named after the start time, unique even for runs started in the same second. */
function resultsFolder(root: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let folder = join(root, stamp);
  for (let n = 2; existsSync(folder); n++) folder = join(root, `${stamp}-${n}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function outputsFor(config: RunConfig, savedFolder: string | null): Output[] {
  const outputs: Output[] = [];
  if (!config.quiet) outputs.push(new ProgressOutput({ stream: process.stderr }));
  if (config.raw) outputs.push(new RawRequestsOutput(config.raw));
  if (config.csv) outputs.push(new CsvRequestsOutput(config.csv));
  if (config.out) outputs.push(new JsonReportOutput(config.out));
  if (config.debug) outputs.push(new RequestLogOutput(process.stderr));
  if (config.observability.html) outputs.push(new HtmlReportOutput(config.observability.html));
  if (savedFolder) {
    if (!config.raw) outputs.push(new RawRequestsOutput(join(savedFolder, "requests.ndjson")));
    outputs.push(new JsonReportOutput(join(savedFolder, "report.json")));
  }
  outputs.push(new ConsoleSummaryOutput({ stream: process.stdout }));
  return outputs;
}

/** Headers that let our own emulator honour --delay / --ttft when it runs elsewhere. */
function emulatorHintHeaders(config: RunConfig, flags: RawRunFlags): Record<string, string> {
  const hints: Record<string, string> = {};
  const delayGiven = flags.delay !== undefined || process.env.TOKEN_DELAY_SECONDS !== undefined;
  if (delayGiven) hints[OVERRIDE_HEADERS.itlMs] = String(config.delayS * 1000);
  if (delayGiven || flags.ttft !== undefined) hints[OVERRIDE_HEADERS.ttftMs] = String(config.ttftS * 1000);
  return hints;
}

function info(config: RunConfig, line: string): void {
  if (!config.quiet) process.stderr.write(`${line}\n`);
}

export async function runCommand(flags: RawRunFlags): Promise<number> {
  if (flags.createTestAudio) return createRunTestAudio(flags.audioDir);
  const config = resolveRunConfig(flags);
  parseThresholds(config.thresholds); // bad expressions are usage errors before anything starts
  findProtocol(config.protocol);
  const savedFolder = config.save ? resultsFolder(config.resultsDir) : null;
  const facts = { protocol: config.protocol, target: config.target ?? "embedded emulator" };
  const live = await startLiveOutputs(config.observability, facts, (line) => process.stderr.write(`${line}\n`));
  // --workers / --redis: this process controls workers that run the load (src/distributed/).
  const run = distributedController(config, flags) ?? runLoadTest;
  const { exitCode } = await run({
    config,
    outputs: [...outputsFor(config, savedFolder), ...live.outputs],
    targetHeaders: emulatorHintHeaders(config, flags),
    handleSignals: true,
    log: (line) => info(config, line),
  }).finally(() => live.close());
  if (savedFolder) info(config, `tokenstorm: results saved in ${savedFolder}`);
  return exitCode;
}
