// `tokenstorm sweep`: find the highest arrival rate or concurrency that still meets the SLOs. Parses and
// checks every flag (all problems in one line), then runs the steps (src/engine/sweep.ts) and prints
// the table and verdict (sweep-output.ts).
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { Problems, type ValueKind } from "../config/values.js";
import type { RawRunFlags } from "../config/run-config.js";
import type { EmulatorOptions } from "../emulator/options.js";
import { ExitCode, UsageError } from "../errors.js";
import { checkSweep, runSweep, type SweepMode, type SweepOptions } from "../engine/sweep.js";
import { describeStepPlan, stepValues, type StepPlan } from "../engine/sweep-steps.js";
import { ProgressOutput } from "../report/progress.js";
import { PROTOCOLS } from "../protocols/registry.js";
import { parseThresholds } from "../report/thresholds.js";
import { collect } from "./repeatable.js";
import { renderSweep, stepLine, stepName, sweepDocument, type SweepSettings } from "./sweep-output.js";

export interface SweepFlags {
  target?: string;
  protocol?: string;
  model?: string;
  header?: string[];
  apiKeyEnv?: string;
  length?: string;
  prompts?: string;
  timeout?: string;
  seed?: string;
  maxConcurrent?: string;
  ttft?: string;
  delay?: string;
  emulatorMaxRunning?: string;
  emulatorMaxWaiting?: string;
  emulatorSlowdown?: string;
  emulatorJitter?: string;
  rates?: string;
  rpsStart?: string;
  rpsStep?: string;
  concurrency?: string;
  concurrencyStart?: string;
  concurrencyStep?: string;
  maxSteps?: string;
  stepDuration?: string;
  slo?: string[];
  stopAfter?: string;
  out?: string;
  quiet?: boolean;
}

const DEFAULTS = { stepDurationS: 10, maxSteps: 10, stopAfter: 1, successSlo: "success_rate>=0.99" } as const;

/** SLOs on errors already judge failures; otherwise a step must also keep its requests succeeding. */
const ERROR_METRIC = /^\s*(success_rate|error_rate|errors)\b/;

function listOf(p: Problems, raw: string, flag: string, kind: ValueKind): number[] {
  return raw.split(",").map((item) => p.number(item, kind, { flag }) ?? NaN);
}

function stepPlan(p: Problems, flags: SweepFlags): { mode: SweepMode; plan: StepPlan } {
  const rate = [flags.rates, flags.rpsStart, flags.rpsStep].some((v) => v !== undefined);
  const concurrency = [flags.concurrency, flags.concurrencyStart, flags.concurrencyStep].some((v) => v !== undefined);
  if (rate && concurrency) p.add("sweep either rates (--rates, --rps-start, --rps-step) or concurrency (--concurrency, --concurrency-start, --concurrency-step), not both");
  const [mode, list, start, step, names, kind] = rate
    ? (["rate", flags.rates, flags.rpsStart, flags.rpsStep, ["--rates", "--rps-start", "--rps-step"], "positive"] as const)
    : (["concurrency", flags.concurrency, flags.concurrencyStart, flags.concurrencyStep, ["--concurrency", "--concurrency-start", "--concurrency-step"], "positiveInt"] as const);
  if (list !== undefined) {
    if (start !== undefined || step !== undefined) p.add(`${names[0]} lists the steps; ${names[1]} / ${names[2]} do not apply with it`);
    return { mode, plan: { kind: "list", values: listOf(p, list, names[0], kind) } };
  }
  const stepValue = step === undefined ? undefined : p.number(step, kind, { flag: names[2] });
  const startValue = start === undefined ? (stepValue ?? 1) : (p.number(start, kind, { flag: names[1] }) ?? 1);
  return { mode, plan: stepValue === undefined ? { kind: "doubling", start: startValue } : { kind: "linear", start: startValue, step: stepValue } };
}

/** The embedded emulator's options; they make no sense against someone else's --target. */
function emulatorOptions(p: Problems, flags: SweepFlags): EmulatorOptions | undefined {
  const given: Array<[string, string | undefined]> = [
    ["--emulator-max-running", flags.emulatorMaxRunning],
    ["--emulator-max-waiting", flags.emulatorMaxWaiting],
    ["--emulator-slowdown", flags.emulatorSlowdown],
    ["--emulator-jitter", flags.emulatorJitter],
    ["--ttft", flags.ttft],
    ["--delay", flags.delay],
  ];
  if (flags.target !== undefined) {
    for (const [flag, value] of given) if (value !== undefined) p.add(`${flag} sets the embedded emulator and does not apply with --target`);
    return undefined;
  }
  const seconds = (raw: string | undefined, flag: string): number | undefined => {
    const value = p.number(raw, "nonNegative", { flag });
    return value === undefined ? undefined : value * 1000;
  };
  const options: EmulatorOptions = {
    ttftMs: seconds(flags.ttft ?? flags.delay, flags.ttft !== undefined ? "--ttft" : "--delay"),
    itlMs: seconds(flags.delay, "--delay"),
    length: p.number(flags.length, "positiveInt", { flag: "--length" }),
    maxRunning: p.number(flags.emulatorMaxRunning, "nonNegativeInt", { flag: "--emulator-max-running" }),
    maxWaiting: p.number(flags.emulatorMaxWaiting, "nonNegativeInt", { flag: "--emulator-max-waiting" }),
    slowdownUnderLoad: p.number(flags.emulatorSlowdown, "nonNegative", { flag: "--emulator-slowdown" }),
    jitter: p.number(flags.emulatorJitter, "fraction", { flag: "--emulator-jitter" }),
    seed: p.number(flags.seed, "nonNegativeInt", { flag: "--seed" }),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as EmulatorOptions;
}

function slosOf(p: Problems, flags: SweepFlags): string[] {
  const given = flags.slo ?? [];
  try {
    parseThresholds(given);
  } catch (err) {
    p.add((err as Error).message.replaceAll("--threshold ", "--slo "));
  }
  return given.some((slo) => ERROR_METRIC.test(slo)) ? given : [...given, DEFAULTS.successSlo];
}

/** Flags to sweep options; throws one UsageError naming every bad flag. */
export function sweepOptionsFromFlags(flags: SweepFlags): { options: SweepOptions; settings: SweepSettings } {
  const p = new Problems();
  const { mode, plan } = stepPlan(p, flags);
  const stepDurationS = p.number(flags.stepDuration, "positive", { flag: "--step-duration" }) ?? DEFAULTS.stepDurationS;
  const maxSteps = p.number(flags.maxSteps, "positiveInt", { flag: "--max-steps" }) ?? DEFAULTS.maxSteps;
  const stopAfterFailures = p.number(flags.stopAfter, "positiveInt", { flag: "--stop-after" }) ?? DEFAULTS.stopAfter;
  const slos = slosOf(p, flags);
  const emulator = emulatorOptions(p, flags);
  const ownServer = flags.target === undefined && PROTOCOLS.find((pr) => pr.name === (flags.protocol ?? "openai-chat"))?.startEmbedded !== undefined;
  const queueFlags = [flags.emulatorMaxRunning, flags.emulatorMaxWaiting, flags.emulatorSlowdown, flags.emulatorJitter];
  if (ownServer && queueFlags.some((v) => v !== undefined)) {
    p.add(`--emulator-* set the HTTP emulator; --protocol ${flags.protocol} starts its own embedded server for each step`);
  }
  if (mode === "concurrency" && flags.maxConcurrent !== undefined) p.add("--max-concurrent caps a rate sweep; a concurrency sweep's steps are the cap");
  if (!p.empty) throw new UsageError(p.lines.join("; "));

  const baseFlags: RawRunFlags = {
    target: flags.target,
    protocol: flags.protocol,
    model: flags.model,
    header: flags.header,
    apiKeyEnv: flags.apiKeyEnv,
    length: flags.length,
    prompts: flags.prompts,
    timeout: flags.timeout,
    seed: flags.seed,
    maxConcurrent: flags.maxConcurrent,
    ttft: flags.ttft,
    delay: flags.delay,
  };
  const options: SweepOptions = {
    mode,
    values: plan.kind === "list" ? plan.values : stepValues(plan, maxSteps),
    stepDurationS,
    slos,
    stopAfterFailures,
    baseFlags: Object.fromEntries(Object.entries(baseFlags).filter(([, v]) => v !== undefined)) as RawRunFlags,
    emulator,
  };
  // A bad run flag (--length, --header, --protocol...) fails here, before anything starts.
  checkSweep(options, plan.kind === "list" ? plan.values[0]! : plan.start);
  const settings: SweepSettings = {
    mode,
    stepDurationS,
    slos,
    stopAfterFailures,
    steps: describeStepPlan(plan),
    emulator: emulator ? { ...emulator } : null,
  };
  return { options, settings };
}

async function sweep(flags: SweepFlags): Promise<number> {
  const { options, settings } = sweepOptionsFromFlags(flags);
  const say = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`${line}\n`);
  };
  say(`tokenstorm: sweeping ${settings.mode} ${settings.steps}, ${settings.stepDurationS} s per step, SLOs ${settings.slos.join(", ")}`);
  const result = await runSweep({
    ...options,
    log: say,
    outputs: () => (flags.quiet ? [] : [new ProgressOutput({ stream: process.stderr })]),
    onStepStart: (value) => say(`tokenstorm: ${stepName(settings.mode, value)} for ${settings.stepDurationS} s ...`),
    onStep: (step) => say(stepLine(settings.mode, step)),
  });
  process.stdout.write(renderSweep(result, settings, process.stdout));
  if (flags.out) writeFileSync(flags.out, `${JSON.stringify(sweepDocument(result, settings), null, 2)}\n`);
  if (result.interrupted) return ExitCode.runFailed;
  return result.capacity === null ? ExitCode.thresholdFailed : ExitCode.ok;
}

export function registerSweepCommand(program: Command): Command {
  return program
    .command("sweep")
    .description("find the highest request rate or concurrency that meets SLOs, one short run per step")
    .option("--concurrency <list>", "closed model steps: concurrent requests, e.g. 1,2,4,8 (default: doubling from 1)")
    .option("--concurrency-start <n>", "closed model: first step (doubling unless --concurrency-step)")
    .option("--concurrency-step <n>", "closed model: add this much per step")
    .option("--rates <list>", "open model (constant arrivals) steps: requests/s, e.g. 5,10,20,40")
    .option("--rps-start <r>", "open model: first rate (doubling unless --rps-step)")
    .option("--rps-step <r>", "open model: add this much per step")
    .option("--max-steps <n>", `most steps of a doubling or linear sweep (default ${DEFAULTS.maxSteps})`)
    .option("--step-duration <s>", `seconds each step issues requests (default ${DEFAULTS.stepDurationS})`)
    .option("--slo <expr>", `criterion each step must meet, threshold syntax, e.g. 'ttft.p95<500ms' (repeatable; ${DEFAULTS.successSlo} is added unless an SLO judges errors)`, collect)
    .option("--stop-after <n>", `stop after this many failing steps in a row (default ${DEFAULTS.stopAfter})`)
    .option("--target <url>", "service under test (default: one embedded emulator for every step)")
    .option("--protocol <name>", "protocol driver (default openai-chat)")
    .option("--model <name>", "model name sent with each request")
    .option("--header <header>", "extra request header 'Name: value' (repeatable)", collect)
    .option("--api-key-env <var>", "send 'Authorization: Bearer $VAR' (anthropic-messages: 'x-api-key: $VAR')")
    .option("--length <n>", "output tokens asked for per request (max_tokens)")
    .option("--prompts <sets>", "built-in prompt sets, comma separated: short,medium,long")
    .option("--timeout <s>", "whole-request timeout, seconds")
    .option("--max-concurrent <n>", "rate sweep: cap on requests in flight (arrivals beyond it are dropped)")
    .option("--seed <n>", "seed for reproducible choices")
    .option("--ttft <s>", "embedded emulator: time to first token, seconds")
    .option("--delay <s>", "embedded emulator: delay between tokens, seconds")
    .option("--emulator-max-running <n>", "embedded emulator: generations at once, more queue (0 = unlimited)")
    .option("--emulator-max-waiting <n>", "embedded emulator: queue length beyond which requests get 429")
    .option("--emulator-slowdown <factor>", "embedded emulator: ITL grows by factor x (running - 1)")
    .option("--emulator-jitter <fraction>", "embedded emulator: each delay varies by up to +-fraction")
    .option("--out <file>", "write every step and the verdict as JSON here")
    .option("--quiet", "no progress lines")
    .action(async (flags: SweepFlags) => {
      process.exitCode = await sweep(flags);
    });
}
