// The friendly programmatic face of a load test (seed 002's "Programmatic Usage"): build a config
// from a named scenario or by hand with typed settings, run it, read the report, save it. Settings
// go through the same schemas as the command line (src/config/run-settings.ts, numbers as numbers),
// so a bad value is the same one-line UsageError; nothing is printed and nothing is saved unless asked.
import { resolveRunConfig, type RawRunFlags, type RunConfig } from "./config/run-config.js";
import { runLoadTest as runEngine, type LoadTestResult } from "./engine/load-test.js";
import type { Output } from "./report/output.js";
import { writeReportFile } from "./report/json.js";
import type { Report } from "./report/types.js";

/** Typed settings of one load test; each maps to the `tokenstorm run` flag of the same meaning. */
export interface LoadTestSettings {
  /** Service under test (`http://...`, or `host:port` / `grpc://host:port` for grpc-voice); absent: the embedded emulator. */
  target?: string;
  /** Protocol driver, e.g. "openai-chat", "realtime", "grpc-voice". */
  protocol?: string;
  model?: string;
  /** Extra request headers (gRPC metadata for grpc-voice). */
  headers?: Record<string, string>;
  /** A named preset (baseline, light, medium, heavy, spike, endurance, ...) under these settings. */
  scenario?: string;
  /** Staged model (seed 002): max concurrent users, ramp-up, hold, ramp-down, seconds. */
  users?: number;
  rampUpS?: number;
  holdS?: number;
  rampDownS?: number;
  /** Pause between a user's requests, seconds. */
  thinkTimeS?: number;
  /** Closed model: clients and requests per client. */
  clients?: number;
  cycles?: number;
  /** Stop issuing after this long, seconds; with staged users, the hold between ramp-up and ramp-down. */
  durationS?: number;
  /** Stop after this many requests in total. */
  requests?: number;
  maxConcurrent?: number;
  /** Whole-request (whole-conversation) limit, seconds. */
  timeoutS?: number;
  seed?: number;
  /** Shared prefixes: every prompt starts with one of `groups` system prompts of `tokens` tokens. */
  sharedPrefix?: { tokens: number; groups?: number };
  /** --tokenizer: "o200k_base", "cl100k_base" or a tokenizer.json path; absent: a token is a word. */
  tokenizer?: string;
  /**
   * Synthetic requests: prompts of exactly `inputTokens` tokens and `outputTokens` asked for, each
   * drawn uniformly within ±`rangeRatio` of it; `ignoreEos` asks the server for exactly that many.
   */
  synthetic?: { inputTokens?: number; outputTokens?: number; rangeRatio?: number; ignoreEos?: boolean };
  /**
   * Multi-turn conversations: `turns` per conversation, each sending the conversation so far; a pause
   * of `thinkTimeS` between a reply and the next turn; `sessionHeader` carries the conversation's id.
   */
  conversations?: { turns?: number; thinkTimeS?: number; sessionHeader?: string };
  /** Pass/fail expressions, e.g. "e2e.p95<3s"; a failure makes exitCode 99. */
  thresholds?: string[];
  /** Voice: a directory of 16 kHz WAV files to speak from. */
  audioDir?: string;
  /** grpc-voice: your .proto and fully qualified service name, when not ours. */
  proto?: string;
  service?: string;
  /** Any other `tokenstorm run` setting by its flag's camelCase name: a number, a switch, text or a list. */
  flags?: Partial<RawRunFlags>;
  /** Environment variables read for seed 000's defaults (NUM_CLIENTS...); default none, so code is repeatable. */
  env?: NodeJS.ProcessEnv;
}

function toFlags(settings: LoadTestSettings): RawRunFlags {
  const flags: Record<string, unknown> = {
    target: settings.target,
    protocol: settings.protocol,
    model: settings.model,
    header: settings.headers ? Object.entries(settings.headers).map(([name, value]) => `${name}: ${value}`) : undefined,
    scenario: settings.scenario,
    users: settings.users,
    rampUp: settings.rampUpS,
    hold: settings.holdS,
    rampDown: settings.rampDownS,
    thinkTime: settings.thinkTimeS,
    clients: settings.clients,
    cycles: settings.cycles,
    duration: settings.durationS,
    requests: settings.requests,
    maxConcurrent: settings.maxConcurrent,
    timeout: settings.timeoutS,
    seed: settings.seed,
    prefixTokens: settings.sharedPrefix?.tokens,
    prefixGroups: settings.sharedPrefix?.groups,
    tokenizer: settings.tokenizer,
    inputTokens: settings.synthetic?.inputTokens,
    outputTokens: settings.synthetic?.outputTokens,
    randomRangeRatio: settings.synthetic?.rangeRatio,
    ignoreEos: settings.synthetic?.ignoreEos,
    turns: settings.conversations?.turns,
    turnThinkTime: settings.conversations?.thinkTimeS,
    sessionHeader: settings.conversations?.sessionHeader,
    threshold: settings.thresholds,
    audioDir: settings.audioDir,
    proto: settings.proto,
    service: settings.service,
    // Code asks for files explicitly (saveReport); no results folder, no live progress.
    save: false,
    quiet: true,
    ...settings.flags,
  };
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as RawRunFlags;
}

/** A validated run config from typed settings (throws UsageError naming every bad setting by its flag). */
export function loadTestConfig(settings: LoadTestSettings = {}): RunConfig {
  return resolveRunConfig(toFlags(settings), settings.env ?? {});
}

/** A named scenario's config with `overrides` on top (seed 002: LoadTestConfig.from_scenario). */
export function fromScenario(name: string, overrides: Omit<LoadTestSettings, "scenario"> = {}): RunConfig {
  return loadTestConfig({ ...overrides, scenario: name });
}

export interface RunOptions {
  /** Outputs fed during the run (console, files...); default none. */
  outputs?: Output[];
  /** Informational lines (embedded target started...); default silent. */
  log?(line: string): void;
}

/** Run a load test to the end and return its report and exit code (0 ok, 99 a threshold failed). */
export function runLoadTest(config: RunConfig, options: RunOptions = {}): Promise<LoadTestResult> {
  return runEngine({ config, ...(options.outputs ? { outputs: options.outputs } : {}), ...(options.log ? { log: options.log } : {}) });
}

/** Write a report as JSON, atomically (seed 002: collector.save_report). */
export function saveReport(path: string, report: Report): Promise<void> {
  return writeReportFile(path, report);
}

export type { LoadTestResult, RunConfig };
