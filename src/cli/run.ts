// `tokenstorm run`: parse and validate flags, start the embedded emulator when no target is given,
// wire driver, load model and outputs together, and turn the outcome into files and an exit code.
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { addObservabilityOptions } from "./observability.js";
import { collect } from "./repeatable.js";
import { runFlagsFromCommand } from "./run-flags.js";
import { applyEnvironment } from "../config/environment.js";
import { resolveRunConfig, type RawRunFlags, type RunConfig } from "../config/run-config.js";
import { OVERRIDE_HEADERS } from "../emulator/overrides.js";
import { addDistributedOptions } from "../distributed/options.js";
import { distributedController } from "../distributed/controller.js";
import { runLoadTest } from "../engine/load-test.js";
import { checkProtocolName } from "../protocols/names.js";
import { ConsoleSummaryOutput } from "../report/console.js";
import { CsvRequestsOutput } from "../report/csv.js";
import { writeHtmlReport } from "../report/html.js";
import { JsonReportOutput, STDOUT_PATH, writeReportFile } from "../report/json.js";
import { checkWritable, ReportFileOutput, type FallbackTarget } from "../report/output-paths.js";
import { startLiveOutputs } from "../report/observability.js";
import type { Output } from "../report/output.js";
import { RawRequestsOutput } from "../report/raw.js";
import { parseThresholds } from "../report/thresholds.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { addVoiceRunOptions } from "../voice/run-options.js";
import { addGrpcVoiceOptions } from "../protocols/grpc-voice/options.js";
import { addEmbeddingsOptions } from "../protocols/openai/embeddings-options.js";
import { RequestLogOutput } from "../report/request-log.js";
import { noSuccessReason } from "../report/no-success.js";
import { ExitCode } from "../errors.js";
import { createRunTestAudio } from "./run-test-audio.js";
import { keepWasmAtBaselineTier, lightWarmUp } from "../engine/warm-up-rule.js";

export function registerRunCommand(program: Command): void {
  addEmbeddingsOptions(addGrpcVoiceOptions(addVoiceRunOptions(addDistributedOptions(addObservabilityOptions(program.command("run"))))))
    .description("run a load test (with no --target, against the embedded emulator)")
    .option("-t, --target <url>", "base URL of the service under test; grpc-voice: host:port or grpc(s)://host:port (default: start the embedded emulator)")
    .option("--ws-target <url>", "session: the gateway's WebSocket URL when it is not on --target's host (e.g. ws://host:9001/connection/websocket)")
    .option("--protocol <name>", "protocol driver (openai-chat, openai-completions, openai-responses, openai-embeddings, anthropic-messages, ollama-generate, ollama-chat, ndjson, session, realtime, grpc-voice)")
    .option("--model <name>", "model name sent with each request")
    .option("--header <header>", "extra request header 'Name: value' (repeatable)", collect)
    .option("--api-key-env <var>", "send 'Authorization: Bearer $VAR' (anthropic-messages: 'x-api-key: $VAR')")
    .option("--token-secret-env <var>", "session: sign each gateway connection's token (HS256 JWT) with the secret in $VAR")
    .option("--clients <n>", "virtual clients (closed model) [env NUM_CLIENTS, default 10]")
    .option("--cycles <n>", "requests per client [env CYCLES_PER_CLIENT, default 5]")
    .option("--max-concurrent <n>", "cap on requests in flight [env MAX_CONCURRENT_CLIENTS, default 50; 1000 with --pattern; the user count with --users]")
    .option("--concurrent <n>", "same as --max-concurrent")
    .option("--think-time <s>", "pause between a client's requests, seconds (default 0; 1 with --users)")
    .option("-u, --users <n>", "staged model: virtual users started over --ramp-up, held for --hold (or --duration), stopped over --ramp-down")
    .option("--ramp-up <s>", "staged model: seconds over which users start, evenly (default 0)")
    .option("--hold <s>", "staged model: seconds all users run between ramp-up and ramp-down (same as --duration there)")
    .option("--ramp-down <s>", "staged model: seconds over which users stop, evenly (default 0)")
    .option("-s, --scenario <name>", "named preset under these flags (see `tokenstorm scenarios`)")
    .option("--requests <n>", "stop after this many requests in total (realtime, grpc-voice closed model: turns per session)")
    .option("-d, --duration <s>", "stop issuing requests after this many seconds; with --users, the hold between ramp-up and ramp-down")
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
    .option("--emulator-stats", "the target is a tokenstorm emulator: report its own timing error from its GET /stats (always on for the embedded one)")
    .option("--emulator-workers <n>", "processes of the embedded emulator, or auto for one per core (default 1: a thread of this process)")
    .option("--prompts <sets...>", "built-in prompt sets short, medium, long, separated by spaces or commas (default short)")
    .option("--prefix-tokens <n>", "every prompt starts with one of --prefix-groups shared system prompts of n tokens (words without a tokenizer), then its own text")
    .option("--prefix-groups <k>", "how many distinct shared prefixes requests draw from (default 1; needs --prefix-tokens)")
    .option("--turns <n>", "multi-turn conversations of n turns: each turn sends the whole conversation so far, the assistant's streamed replies included (default 1)")
    .option("--turn-think-time <s>", "pause between a reply and the conversation's next turn, seconds (default 0)")
    .option("--session-header <name>", "send each conversation's stable id (conv-<client>-<n>) in this header on all its requests, for sticky routing")
    .option("--trace <file>", "replay a trace as an open model: .jsonl {timestamp ms, input_length, output_length, hash_ids} or .csv (Timestamp s, Request tokens, Response tokens)")
    .option("--trace-speedup <x>", "replay the trace x times faster (default 1)")
    .option("--tokenizer <name|path>", "count tokens with o200k_base, cl100k_base or a Hugging Face tokenizer.json (default: a token is a word, as the emulator counts)")
    .option("--input-tokens <n>", "synthetic prompts of exactly n tokens of --tokenizer (words without one)")
    .option("--output-tokens <n>", "output tokens asked for per request (max_tokens), drawn like --input-tokens")
    .option("--random-range-ratio <r>", "spread of --input-tokens / --output-tokens: each drawn uniformly from [n(1-r), n(1+r)], as vLLM's random dataset (default 0)")
    .option("--ignore-eos", "ask for exactly the drawn output length: min_tokens = max_tokens and ignore_eos (vLLM, TGI); needs --output-tokens")
    .option("--dataset <file>", "prompts from a .jsonl ({\"prompt\"} or {\"messages\"}, optional max_tokens, type) or .csv file")
    .option("--seed <n>", "seed for reproducible choices")
    .option("--timeout <s>", "whole-request timeout, seconds [env REQUEST_TIMEOUT, default 120]")
    .option("--connect-timeout <s>", "TCP connect timeout, seconds [env CONNECTION_TIMEOUT, default 60]")
    .option("--idle-timeout <s>", "fail a stream with no bytes for this long, seconds (default 30)")
    .option("--handshake-timeout <s>", "fail a WebSocket connection (realtime) whose upgrade is not answered within this long, seconds (default 10)")
    .option("--max-line-bytes <n>", "fail a stream as malformed when one line or SSE event exceeds this many bytes (default 8 MiB)")
    .option("--cacert <file>", "TLS: trust the CA certificates in this PEM file (besides the system's) for https:// and wss:// targets")
    .option("--insecure", "TLS: accept any server certificate (self-signed, unknown CA, other host name)")
    .option("--cert <file>", "TLS: client certificate, PEM (mutual TLS; with --key)")
    .option("--key <file>", "TLS: the client certificate's private key, PEM (with --cert)")
    .option("--http2", "HTTP targets over HTTP/2: ALPN on https://, prior knowledge (h2c) on http://; streams share --max-connections")
    .option("--max-connections <n>", "connections per origin (default: --max-concurrent; with --http2, one per 100 streams in flight)")
    .option("--graceful-stop <s>", "after --duration, how long in-flight requests may finish (default: --timeout)")
    .option("--out <file>", "write the report JSON here; '-' writes it to standard output (the console report then goes to standard error)")
    .option("--raw <file>", "stream one NDJSON line per finished request here")
    .option("-o, --output <file>", "same as --out")
    .option("--output-raw <file>", "same as --raw")
    .option("--csv <file>", "stream one CSV row per finished request here")
    .option("--no-save", "do not keep a copy of the results under ./tokenstorm-results/<time>/")
    .addOption(new Option("--results-dir <dir>", "where saved results go").default(undefined).hideHelp())
    .option("--threshold <expr>", "pass/fail criterion, e.g. 'ttft.p95<2500ms' (repeatable; exit 99 on failure)", collect)
    .option("--allow-failures", "exit 0 even when no request succeeded (default: exit 1 naming the top error, unless --threshold decides)")
    .option("--goodput <slos>", "per-request SLOs for goodput, ms: 'ttft:500,tpot:50'")
    .option("--no-usage", "do not ask for the usage chunk (stream_options.include_usage)")
    .option("--exact-tokens", "the server sends one token per chunk: count usage minus received as token loss")
    .option("--quiet", "no live progress")
    .option("-v, --verbose", "print run details to stderr (voice: a line per client connected)")
    .option("--debug", "also print one line per finished request to stderr")
    .option("--create-test-audio", "write test WAV files (16 kHz) into --audio-dir and stop")
    .option("--config <file>", "YAML file of run settings (keys: the long flag names) and named scenarios")
    .action(async (_flags: RawRunFlags, command: Command) => {
      process.exitCode = await runCommand(await runFlagsFromCommand(command));
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

/** The folder a report goes to when its own path fails at the end: the saved results, or one made then. */
function fallbackFor(config: RunConfig, savedFolder: string | null): FallbackTarget {
  let folder = savedFolder;
  return {
    folder: () => (folder ??= resultsFolder(config.resultsDir)),
    warn: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Every output file the flags ask for, checked before anything starts (exit 2 naming the flag). */
function checkOutputPaths(config: RunConfig): void {
  const files: Array<[string, string | null]> = [["--out", config.out], ["--html", config.observability.html], ["--raw", config.raw], ["--csv", config.csv]];
  for (const [flag, path] of files) if (path && path !== STDOUT_PATH) checkWritable(flag, path);
}

async function outputsFor(config: RunConfig, savedFolder: string | null, reportFiles: ReportFileOutput[]): Promise<Output[]> {
  const outputs: Output[] = [];
  // Loaded only when shown: the terminal panel's modules are a quiet run's largest unused import.
  if (!config.quiet) outputs.push(new (await import("../report/progress.js")).ProgressOutput({ stream: process.stderr }));
  if (config.raw) outputs.push(new RawRequestsOutput(config.raw));
  if (config.csv) outputs.push(new CsvRequestsOutput(config.csv));
  outputs.push(...reportFiles);
  if (config.out === STDOUT_PATH) outputs.push(new JsonReportOutput(STDOUT_PATH));
  if (config.debug) outputs.push(new RequestLogOutput(process.stderr));
  if (savedFolder) {
    if (!config.raw) outputs.push(new RawRequestsOutput(join(savedFolder, "requests.ndjson")));
    outputs.push(new JsonReportOutput(join(savedFolder, "report.json")));
  }
  // With the report on standard output, the console report keeps out of its way.
  outputs.push(new ConsoleSummaryOutput({ stream: config.out === STDOUT_PATH ? process.stderr : process.stdout }));
  return outputs;
}

/** --out and --html: written at the end, into the results folder instead when their path fails then. */
function reportFilesFor(config: RunConfig, fallback: FallbackTarget): ReportFileOutput[] {
  const files: ReportFileOutput[] = [];
  if (config.out && config.out !== STDOUT_PATH) files.push(new ReportFileOutput("--out", config.out, writeReportFile, fallback));
  const html = config.observability.html;
  if (html) files.push(new ReportFileOutput("--html", html, (path, report) => writeHtmlReport(path, [{ report, label: "run" }]), fallback));
  return files;
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
  const given = applyEnvironment(flags, flags.environment).flags;
  if (given.createTestAudio) return createRunTestAudio(given.audioDir);
  const config = resolveRunConfig(flags);
  parseThresholds(config.thresholds); // bad expressions are usage errors before anything starts
  checkProtocolName(config.protocol);
  checkOutputPaths(config);
  const savedFolder = config.save ? resultsFolder(config.resultsDir) : null;
  const reportFiles = reportFilesFor(config, fallbackFor(config, savedFolder));
  const facts = { protocol: config.protocol, target: config.target ?? "embedded emulator" };
  const live = await startLiveOutputs(config.observability, facts, (line) => process.stderr.write(`${line}\n`));
  // --workers / --redis: this process controls workers that run the load (src/distributed/).
  const controller = distributedController(config, flags);
  if (controller === null && lightWarmUp(config)) keepWasmAtBaselineTier();
  const run = controller ?? runLoadTest;
  const { exitCode, report } = await run({
    config,
    outputs: [...(await outputsFor(config, savedFolder, reportFiles)), ...live.outputs],
    targetHeaders: emulatorHintHeaders(config, given),
    handleSignals: true,
    log: (line) => info(config, line),
  }).finally(() => live.close());
  if (savedFolder) info(config, `tokenstorm: results saved in ${savedFolder}`);
  // The user's file is not where they asked: a script reading it must not take this run as fine.
  if (exitCode === ExitCode.ok && reportFiles.some((file) => file.failed)) return ExitCode.runFailed;
  const noSuccess = exitCode === ExitCode.ok && config.thresholds.length === 0 && !config.allowFailures ? noSuccessReason(report) : null;
  if (noSuccess) {
    process.stderr.write(`tokenstorm: ${noSuccess}\n`);
    return ExitCode.runFailed;
  }
  return exitCode;
}
