// One load test from a resolved RunConfig to a Report: start the embedded target when there is no
// --target, wire driver, load model, collector and outputs, run, and build the final report with
// thresholds. `tokenstorm run`, `sweep` and the programmatic API all go through here.
import { loadTokenizer } from "../workload/tokenizer.js";
import { nowMs, wallClockIso } from "../clock.js";
import type { RunConfig } from "../config/run-config.js";
import { redactedConfig } from "../config/run-config.js";
import { ExitCode, RunError } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import { loadProtocol } from "../protocols/names.js";
import { loadClientTls } from "../protocols/tls.js";
import { buildReport } from "../report/build.js";
import type { Output } from "../report/output.js";
import { evaluateThresholds, parseThresholds } from "../report/thresholds.js";
import { assessmentFor } from "../report/assessment.js";
import type { EmulatorBlock, Report } from "../report/types.js";
import { SelfWatch } from "../metrics/self-watch.js";
import { emulatorBlock, readEmulatorStats } from "./emulator-stats.js";
import { ClosedModel } from "../workload/closed.js";
import type { LoadModel } from "../workload/types.js";
import { OpenModel } from "../workload/open.js";
import { requestSource } from "../workload/request-source.js";
import { StagedModel } from "../workload/stages.js";
import { connectedLine, voiceRunHeader } from "../voice/console.js";
import { VOICE_PROTOCOLS } from "../voice/run-options.js";
import { segmentConfig, segmentModel, wholeRequestNumber } from "../distributed/segment.js";
import { startTargetWarmedUp } from "./embedded.js";
import { Runner } from "./runner.js";
import { claimEarlySignal } from "../early-signals.js";

export interface LoadTestOptions {
  config: RunConfig;
  /** Fed while the run goes on and finished with the report (console, progress, files...). */
  outputs?: Output[];
  /** Extra headers for a non-embedded target (e.g. timing hints our emulator honours). */
  targetHeaders?: Record<string, string>;
  /** Turn SIGINT / SIGTERM into a graceful stop and an uncaught exception into a partial report (the CLI does). */
  handleSignals?: boolean;
  /** Informational lines (embedded target started...). */
  log?(line: string): void;
}

export interface LoadTestResult {
  report: Report;
  /** 0 ok, 1 interrupted, 99 a threshold failed (ExitCode). */
  exitCode: number;
  target: string;
}

/** The load model a config describes (also used to describe a distributed run as a whole). */
export function loadModelFor(config: RunConfig, collector: Collector): LoadModel {
  if (config.pattern) {
    return new OpenModel({
      plan: config.pattern,
      durationMs: config.durationS === null ? null : config.durationS * 1000,
      seed: config.seed!,
      maxConcurrent: config.maxConcurrent,
      queueWhenFull: config.queueWhenFull,
      onDrop: () => collector.recordDropped(),
      onWaiting: (count) => (collector.waitingArrivals = count),
      onArrival: (intendedAt, takenAt) => collector.arrivals.record(intendedAt, takenAt),
    });
  }
  if (config.stages) {
    return new StagedModel({
      ...config.stages,
      thinkTimeMs: config.thinkTimeS * 1000,
      maxConcurrent: config.maxConcurrent,
      onActiveUsers: (count) => (collector.activeUsers = count),
    });
  }
  return new ClosedModel({
    clients: config.clients,
    cycles: config.cycles,
    maxConcurrent: config.maxConcurrent,
    thinkTimeMs: config.thinkTimeS * 1000,
  });
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  // A segment runs its share of the load; the report's config still describes the whole run.
  const config = segmentConfig(options.config);
  const outputs = options.outputs ?? [];
  const log = options.log ?? (() => undefined);
  const thresholds = parseThresholds(config.thresholds);
  const protocol = await loadProtocol(config.protocol);
  const startedAtIso = wallClockIso();

  // Signals are ours from the start: one during start-up (embedded target, warm-up) stops the run
  // before any load is sent, with a report all the same.
  let interrupts = 0;
  let runner: Runner | null = null;
  let interruptedEarly = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\ntokenstorm: ${signal}: stopping, writing partial results (again to quit at once)\n`);
    if (runner) runner.interrupt();
    else interruptedEarly = true;
  };
  if (options.handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    if (claimEarlySignal() !== null) {
      interrupts = 1;
      interruptedEarly = true;
    }
  }
  const releaseSignals = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };

  // The embedded target and this thread's driver warm-up (src/engine/warm-up-rule.ts) start up together.
  const embedded = await startTargetWarmedUp(protocol, config).catch((err: unknown) => {
    releaseSignals();
    throw err;
  });
  const target = embedded ? embedded.url : config.target!;
  const headers = embedded ? { ...config.headers } : { ...config.headers, ...options.targetHeaders };
  if (embedded) log(`tokenstorm: ${embedded.description}`);

  // The embedded emulator is ours; another target is asked for /stats only when the user says it is
  // a tokenstorm emulator (an extra request to a system under test is not ours to make unasked).
  // Checked when the flags were resolved; read again here, where the driver needs the text.
  const { tls, problems: tlsProblems } = loadClientTls(config.tls);
  if (tls === null) throw new RunError(tlsProblems.join("; "));
  const readsEmulator = config.distributed.segment === null && (embedded !== null || config.emulatorStats);
  const emulatorBefore = readsEmulator ? await readEmulatorStats(target, tls, config.http2) : null;
  // With a tokenizer, output tokens without a usage figure are counted in the received text.
  const tokenizer = config.tokenizer === null ? null : loadTokenizer(config.tokenizer);
  const collector = new Collector({ goodput: config.goodput, countTokens: tokenizer && ((text) => tokenizer.count(text)) });
  const watch = new SelfWatch((message) => process.stderr.write(`tokenstorm: ${message}\n`));
  collector.timeline.keepHistograms = config.distributed.segment !== null;
  for (const output of outputs) output.attach?.(collector);
  const driver = protocol.create({
    target: new URL(target),
    ...(config.wsTarget !== null && !embedded ? { wsTarget: new URL(config.wsTarget) } : {}),
    model: config.model,
    headers,
    timeoutMs: config.timeoutS * 1000,
    idleTimeoutMs: config.idleTimeoutS * 1000,
    connectTimeoutMs: config.connectTimeoutS * 1000,
    maxLineBytes: config.maxLineBytes,
    handshakeTimeoutMs: config.handshakeTimeoutS * 1000,
    maxConnections: config.maxConnections,
    tls,
    http2: config.http2,
    includeUsage: config.includeUsage,
    exactTokens: config.exactTokens,
    onConnect: (ms, tlsMs) => (ms === null ? collector.recordConnectFailure() : collector.recordConnect(ms, tlsMs)),
    ...(config.verbose ? { onClientConnected: (client: number, ms: number) => void process.stderr.write(`${connectedLine(client, ms)}\n`) } : {}),
    onRetry: () => collector.recordRetry(),
  }, protocol.settingsOf?.(config));
  const model = segmentModel(loadModelFor(config, collector), config.distributed.segment);
  const reportConfig = { ...redactedConfig(options.config), target, embedded_emulator: embedded !== null, load_model: model.describe() };
  if (config.verbose) process.stderr.write(`tokenstorm: ${model.describe()}; protocol ${protocol.name} -> ${target}\n`);
  if (VOICE_PROTOCOLS.has(protocol.name) && !config.quiet) {
    process.stderr.write(
      `${voiceRunHeader({
        target,
        concurrency: config.stages?.users ?? config.clients,
        requestsPerClient: config.pattern === null && config.stages === null ? config.cycles : null,
        totalRequests: config.requests ?? (config.pattern === null && config.stages === null && config.cycles !== null ? config.clients * config.cycles : null),
        weights: config.voice.weights,
      })}\n`,
    );
  }

  // A segment numbers its requests, and deals voice scenarios, as the whole run does.
  const segment = config.distributed.segment;
  const requests = requestSource(config, segment === null ? undefined : wholeRequestNumber(options.config));
  runner = new Runner({
    model,
    driver,
    collector,
    outputs: [...outputs, requests.stats],
    // Voice protocols plan their own requests: each is a conversation scenario.
    nextRequest: protocol.requests?.(options.config) ?? requests.next,
    conversations: config.conversations && { ...config.conversations, followUp: requests.followUp, sent: requests.sent },
    durationS: config.durationS,
    maxRequests: config.requests,
    gracefulStopMs: config.gracefulStopS * 1000,
    onTick: (point) => {
      const second = watch.sample();
      point.client_loop_delay_p99_ms = second.loop_delay_p99_ms;
      point.client_cpu_percent = second.cpu_percent;
      collector.clientHealth = watch.health(second);
    },
  });
  let emulator: EmulatorBlock | undefined;

  const finalReport = (durationS: number, interrupted: boolean): Report => {
    const report = buildReport({ collector, config: reportConfig, durationS, interrupted, startedAtIso, finishedAtIso: wallClockIso(), segment: config.distributed.segment });
    report.prompts = requests.stats.block();
    // What merging the segments needs: the whole run's load model (not this segment's share) and prompt lengths.
    const runLoadModel = segment === null ? model.describe() : loadModelFor(options.config, new Collector()).describe();
    report.merge = { ...report.merge!, run_load_model: runLoadModel, prompts: requests.stats.encoded() };
    report.thresholds = evaluateThresholds(thresholds, report);
    report.assessment = assessmentFor(report, config.protocol);
    report.client = watch.block();
    if (emulator) report.emulator = emulator;
    return report;
  };

  // A crash inside the run still leaves a report behind: raw lines are already on disk.
  const onCrash = (err: unknown): void => {
    process.stderr.write(`tokenstorm: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    const report = finalReport((nowMs() - collector.startedAt) / 1000, true);
    void Promise.allSettled(outputs.map((o) => o.finish(report))).then(() => process.exit(ExitCode.runFailed));
  };
  if (options.handleSignals) process.on("uncaughtException", onCrash);

  try {
    // Interrupted during start-up: no load is sent, the report says so.
    const outcome = interruptedEarly ? { durationS: 0, interrupted: true } : await runner.run();
    const emulatorAfter = emulatorBefore ? await readEmulatorStats(target, tls, config.http2) : null;
    if (emulatorBefore && emulatorAfter) emulator = emulatorBlock(emulatorBefore, emulatorAfter);
    const report = finalReport(outcome.durationS, outcome.interrupted);
    await Promise.all(outputs.map((output) => output.finish(report)));
    const exitCode = outcome.interrupted
      ? ExitCode.runFailed
      : report.thresholds.some((t) => !t.ok)
        ? ExitCode.thresholdFailed
        : ExitCode.ok;
    return { report, exitCode, target };
  } finally {
    if (options.handleSignals) {
      releaseSignals();
      process.off("uncaughtException", onCrash);
    }
    watch.stop();
    await driver.close();
    await embedded?.close();
  }
}
