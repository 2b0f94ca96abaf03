// `tokenstorm run`: parse and validate flags, start the embedded emulator when no target is given,
// wire driver, load model and outputs together, and turn the outcome into files and an exit code.
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { collect } from "./repeatable.js";
import { nowMs, wallClockIso } from "../clock.js";
import { resolveRunConfig, redactedConfig, type RawRunFlags, type RunConfig } from "../config/run-config.js";
import { OVERRIDE_HEADERS } from "../emulator/overrides.js";
import { startEmulatorThread, type EmbeddedEmulator } from "../emulator/worker.js";
import { Runner } from "../engine/runner.js";
import { ExitCode } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import { warmUpDriver } from "../protocols/http/warm-up.js";
import { findProtocol } from "../protocols/registry.js";
import type { RequestSpec } from "../protocols/types.js";
import { buildReport } from "../report/build.js";
import { ConsoleSummaryOutput } from "../report/console.js";
import { CsvRequestsOutput } from "../report/csv.js";
import { JsonReportOutput } from "../report/json.js";
import type { Output } from "../report/output.js";
import { ProgressOutput } from "../report/progress.js";
import { RawRequestsOutput } from "../report/raw.js";
import { evaluateThresholds, parseThresholds } from "../report/thresholds.js";
import type { Report } from "../report/types.js";
import { ClosedModel } from "../workload/closed.js";
import { OpenModel } from "../workload/open.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { pickPrompt } from "../workload/prompts.js";

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run a load test (with no --target, against the embedded emulator)")
    .option("--target <url>", "base URL of the service under test (default: start the embedded emulator)")
    .option("--protocol <name>", "protocol driver (openai-chat, openai-completions, ollama-generate, ollama-chat, ndjson)")
    .option("--model <name>", "model name sent with each request")
    .option("--header <header>", "extra request header 'Name: value' (repeatable)", collect)
    .option("--api-key-env <var>", "send 'Authorization: Bearer $VAR'")
    .option("--clients <n>", "virtual clients (closed model) [env NUM_CLIENTS, default 10]")
    .option("--cycles <n>", "requests per client [env CYCLES_PER_CLIENT, default 5]")
    .option("--max-concurrent <n>", "cap on requests in flight [env MAX_CONCURRENT_CLIENTS, default 50]")
    .option("--think-time <s>", "pause between a client's requests, seconds")
    .option("--requests <n>", "stop after this many requests in total")
    .option("--duration <s>", "stop issuing requests after this many seconds")
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
    .option("--prompts <sets>", "built-in prompt sets, comma separated: short,medium,long", "short")
    .option("--seed <n>", "seed for reproducible choices")
    .option("--timeout <s>", "whole-request timeout, seconds [env REQUEST_TIMEOUT, default 120]")
    .option("--connect-timeout <s>", "TCP connect timeout, seconds [env CONNECTION_TIMEOUT, default 60]")
    .option("--idle-timeout <s>", "fail a stream with no bytes for this long, seconds (default 30)")
    .option("--graceful-stop <s>", "after --duration, how long in-flight requests may finish (default: --timeout)")
    .option("--out <file>", "write the report JSON here")
    .option("--raw <file>", "stream one NDJSON line per finished request here")
    .option("--csv <file>", "stream one CSV row per finished request here")
    .option("--no-save", "do not keep a copy of the results under ./tokenstorm-results/<time>/")
    .addOption(new Option("--results-dir <dir>", "where saved results go").default(undefined).hideHelp())
    .option("--threshold <expr>", "pass/fail criterion, e.g. 'ttft.p95<2500ms' (repeatable; exit 99 on failure)", collect)
    .option("--goodput <slos>", "per-request SLOs for goodput, ms: 'ttft:500,tpot:50'")
    .option("--no-usage", "do not ask for the usage chunk (stream_options.include_usage)")
    .option("--exact-tokens", "the server sends one token per chunk: count usage minus received as token loss")
    .option("--quiet", "no live progress")
    .option("--verbose", "print run details to stderr")
    .action(async (flags: RawRunFlags) => {
      process.exitCode = await runCommand(flags);
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

function startEmbeddedEmulator(config: RunConfig, protocolName: string): Promise<EmbeddedEmulator> {
  return startEmulatorThread({
    host: "127.0.0.1",
    port: 0,
    ttftMs: config.ttftS * 1000,
    itlMs: config.delayS * 1000,
    length: config.length ?? undefined,
    ndjsonCompletions: protocolName === "ndjson",
    ...(config.seed !== null ? { seed: config.seed } : {}),
  });
}

function info(config: RunConfig, line: string): void {
  if (!config.quiet) process.stderr.write(`${line}\n`);
}

export async function runCommand(flags: RawRunFlags): Promise<number> {
  const config = resolveRunConfig(flags);
  const thresholds = parseThresholds(config.thresholds);
  const protocol = findProtocol(config.protocol);
  const startedAtIso = wallClockIso();

  // The emulator thread and this thread's driver warm-up start up side by side.
  const [emulator] = await Promise.all([
    config.target === null ? startEmbeddedEmulator(config, protocol.name) : null,
    warmUpDriver(protocol),
  ]);
  const target = emulator ? emulator.url : config.target!;
  const headers = emulator ? { ...config.headers } : { ...config.headers, ...emulatorHintHeaders(config, flags) };
  if (emulator) info(config, `tokenstorm: embedded emulator on ${target} (ttft ${config.ttftS * 1000} ms, itl ${config.delayS * 1000} ms)`);

  const collector = new Collector({ goodput: config.goodput });
  const driver = protocol.create({
    target: new URL(target),
    model: config.model,
    headers,
    timeoutMs: config.timeoutS * 1000,
    idleTimeoutMs: config.idleTimeoutS * 1000,
    connectTimeoutMs: config.connectTimeoutS * 1000,
    maxConnections: config.maxConcurrent,
    includeUsage: config.includeUsage,
    exactTokens: config.exactTokens,
    onConnect: (ms) => (ms === null ? collector.recordConnectFailure() : collector.recordConnect(ms)),
  });
  const model = config.pattern
    ? new OpenModel({
        plan: config.pattern,
        durationMs: config.durationS === null ? null : config.durationS * 1000,
        seed: config.seed!,
        maxConcurrent: config.maxConcurrent,
        queueWhenFull: config.queueWhenFull,
        onDrop: () => collector.recordDropped(),
      })
    : new ClosedModel({
        clients: config.clients,
        cycles: config.cycles,
        maxConcurrent: config.maxConcurrent,
        thinkTimeMs: config.thinkTimeS * 1000,
      });
  const savedFolder = config.save ? resultsFolder(config.resultsDir) : null;
  const outputs = outputsFor(config, savedFolder);
  const reportConfig = { ...redactedConfig(config), target, embedded_emulator: emulator !== null, load_model: model.describe() };
  if (config.verbose) process.stderr.write(`tokenstorm: ${model.describe()}; protocol ${protocol.name} -> ${target}\n`);

  const runner = new Runner({
    model,
    driver,
    collector,
    outputs,
    nextRequest: (client, cycle): RequestSpec => ({ ...pickPrompt(config.prompts, client, cycle), maxTokens: config.length }),
    durationS: config.durationS,
    maxRequests: config.requests,
    gracefulStopMs: config.gracefulStopS * 1000,
  });

  const finalReport = (durationS: number, interrupted: boolean): Report => {
    const report = buildReport({ collector, config: reportConfig, durationS, interrupted, startedAtIso, finishedAtIso: wallClockIso() });
    report.thresholds = evaluateThresholds(thresholds, report);
    return report;
  };

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\ntokenstorm: ${signal}: stopping, writing partial results (again to quit at once)\n`);
    runner.interrupt();
  };
  // A crash inside the run still leaves a report behind: raw lines are already on disk.
  const onCrash = (err: unknown): void => {
    process.stderr.write(`tokenstorm: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    const report = finalReport((nowMs() - collector.startedAt) / 1000, true);
    void Promise.allSettled(outputs.map((o) => o.finish(report))).then(() => process.exit(ExitCode.runFailed));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onCrash);

  try {
    const outcome = await runner.run();
    const report = finalReport(outcome.durationS, outcome.interrupted);
    await Promise.all(outputs.map((output) => output.finish(report)));
    if (savedFolder) info(config, `tokenstorm: results saved in ${savedFolder}`);
    if (outcome.interrupted) return ExitCode.runFailed;
    if (report.thresholds.some((t) => !t.ok)) return ExitCode.thresholdFailed;
    return ExitCode.ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("uncaughtException", onCrash);
    await driver.close();
    await emulator?.close();
  }
}
