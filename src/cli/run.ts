// `tokenstorm run`: parse and validate flags, start the embedded emulator when no target is given,
// wire driver, load model and outputs together, and turn the outcome into files and an exit code.
import { runSettings } from "../config/run-settings.js";
import { helpLine } from "../config/settings.js";
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
    .option("-t, --target <url>", helpLine(runSettings, "target"))
    .option("--ws-target <url>", helpLine(runSettings, "wsTarget"))
    .option("--protocol <name>", helpLine(runSettings, "protocol"))
    .option("--model <name>", helpLine(runSettings, "model"))
    .option("--header <header>", helpLine(runSettings, "header"), collect)
    .option("--api-key-env <var>", helpLine(runSettings, "apiKeyEnv"))
    .option("--token-secret-env <var>", helpLine(runSettings, "tokenSecretEnv"))
    .option("--clients <n>", helpLine(runSettings, "clients"))
    .option("--cycles <n>", helpLine(runSettings, "cycles"))
    .option("--max-concurrent <n>", helpLine(runSettings, "maxConcurrent"))
    .option("--concurrent <n>", "same as --max-concurrent")
    .option("--think-time <s>", helpLine(runSettings, "thinkTime"))
    .option("-u, --users <n>", helpLine(runSettings, "users"))
    .option("--ramp-up <s>", helpLine(runSettings, "rampUp"))
    .option("--hold <s>", helpLine(runSettings, "hold"))
    .option("--ramp-down <s>", helpLine(runSettings, "rampDown"))
    .option("-s, --scenario <name>", helpLine(runSettings, "scenario"))
    .option("--requests <n>", helpLine(runSettings, "requests"))
    .option("-d, --duration <s>", helpLine(runSettings, "duration"))
    .option("--pattern <name>", helpLine(runSettings, "pattern"))
    .option("--rps <r>", helpLine(runSettings, "rps"))
    .option("--burstiness <k>", helpLine(runSettings, "burstiness"))
    .option("--rps-start <r>", helpLine(runSettings, "rpsStart"))
    .option("--burst-size <n>", helpLine(runSettings, "burstSize"))
    .option("--burst-every <s>", helpLine(runSettings, "burstEvery"))
    .option("--spike-multiplier <x>", helpLine(runSettings, "spikeMultiplier"))
    .option("--spike-every <s>", helpLine(runSettings, "spikeEvery"))
    .option("--spike-duration <s>", helpLine(runSettings, "spikeDuration"))
    .option("--steps <stages>", helpLine(runSettings, "steps"))
    .option("--queue-when-full", helpLine(runSettings, "queueWhenFull"))
    .option("--length <n>", helpLine(runSettings, "length"))
    .option("--delay <s>", helpLine(runSettings, "delay"))
    .option("--ttft <s>", helpLine(runSettings, "ttft"))
    .option("--emulator-stats", helpLine(runSettings, "emulatorStats"))
    .option("--emulator-workers <n>", helpLine(runSettings, "emulatorWorkers"))
    .option("--prompts <sets...>", helpLine(runSettings, "prompts"))
    .option("--prefix-tokens <n>", helpLine(runSettings, "prefixTokens"))
    .option("--prefix-groups <k>", helpLine(runSettings, "prefixGroups"))
    .option("--turns <n>", helpLine(runSettings, "turns"))
    .option("--turn-think-time <s>", helpLine(runSettings, "turnThinkTime"))
    .option("--session-header <name>", helpLine(runSettings, "sessionHeader"))
    .option("--trace <file>", helpLine(runSettings, "trace"))
    .option("--trace-speedup <x>", helpLine(runSettings, "traceSpeedup"))
    .option("--tokenizer <name|path>", helpLine(runSettings, "tokenizer"))
    .option("--input-tokens <n>", helpLine(runSettings, "inputTokens"))
    .option("--output-tokens <n>", helpLine(runSettings, "outputTokens"))
    .option("--random-range-ratio <r>", helpLine(runSettings, "randomRangeRatio"))
    .option("--ignore-eos", helpLine(runSettings, "ignoreEos"))
    .option("--dataset <file>", helpLine(runSettings, "dataset"))
    .option("--seed <n>", helpLine(runSettings, "seed"))
    .option("--timeout <s>", helpLine(runSettings, "timeout"))
    .option("--connect-timeout <s>", helpLine(runSettings, "connectTimeout"))
    .option("--idle-timeout <s>", helpLine(runSettings, "idleTimeout"))
    .option("--handshake-timeout <s>", helpLine(runSettings, "handshakeTimeout"))
    .option("--max-line-bytes <n>", helpLine(runSettings, "maxLineBytes"))
    .option("--cacert <file>", helpLine(runSettings, "cacert"))
    .option("--insecure", helpLine(runSettings, "insecure"))
    .option("--cert <file>", helpLine(runSettings, "cert"))
    .option("--key <file>", helpLine(runSettings, "key"))
    .option("--http2", helpLine(runSettings, "http2"))
    .option("--max-connections <n>", helpLine(runSettings, "maxConnections"))
    .option("--graceful-stop <s>", helpLine(runSettings, "gracefulStop"))
    .option("--out <file>", helpLine(runSettings, "out"))
    .option("--raw <file>", helpLine(runSettings, "raw"))
    .option("-o, --output <file>", helpLine(runSettings, "output"))
    .option("--output-raw <file>", helpLine(runSettings, "outputRaw"))
    .option("--csv <file>", helpLine(runSettings, "csv"))
    .option("--no-save", helpLine(runSettings, "save"))
    .addOption(new Option("--results-dir <dir>", "where saved results go").default(undefined).hideHelp())
    .option("--threshold <expr>", helpLine(runSettings, "threshold"), collect)
    .option("--allow-failures", helpLine(runSettings, "allowFailures"))
    .option("--goodput <slos>", helpLine(runSettings, "goodput"))
    .option("--no-usage", helpLine(runSettings, "usage"))
    .option("--exact-tokens", helpLine(runSettings, "exactTokens"))
    .option("--quiet", helpLine(runSettings, "quiet"))
    .option("-v, --verbose", helpLine(runSettings, "verbose"))
    .option("--debug", helpLine(runSettings, "debug"))
    .option("--create-test-audio", helpLine(runSettings, "createTestAudio"))
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
