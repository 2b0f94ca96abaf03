// The resolved settings of `tokenstorm overhead`: flags over seed 004's environment variables over
// its defaults, every value checked, every problem reported in one UsageError naming the flag.
import { Problems, type ValueKind } from "../config/values.js";
import { UsageError } from "../errors.js";
import { OVERHEAD_DEFAULTS, OVERHEAD_PROTOCOLS, type OverheadProtocol } from "./options.js";

/** Flags as commander hands them over. */
export interface RawOverheadFlags {
  target?: string;
  tokens?: string;
  frequencyMs?: string;
  maxOverheadMs?: string;
  protocol?: string;
  concurrency?: string;
  model?: string;
  timeout?: string;
  out?: string;
  quiet?: boolean;
}

export interface OverheadConfig {
  /** Null: start the embedded emulator. */
  target: string | null;
  tokens: number;
  frequencyMs: number;
  maxOverheadMs: number;
  protocol: OverheadProtocol;
  concurrency: number;
  model: string;
  /** Undefined: measureStreamingOverhead's default, sized to the stream. */
  timeoutS: number | undefined;
  out: string | null;
  quiet: boolean;
}

/** Seed 004's names, so a pytest setup's environment configures tokenstorm the same way. */
export const OVERHEAD_ENV = {
  frequencyMs: "TEST_RUNNER_FREQUENCY_MS",
  maxOverheadMs: "TEST_RUNNER_MAX_PER_TOKEN_OVERHEAD_MS",
} as const;

export function resolveOverheadConfig(flags: RawOverheadFlags, env: NodeJS.ProcessEnv = process.env): OverheadConfig {
  const problems = new Problems();
  const setting = (raw: string | undefined, flag: string, kind: ValueKind, envName?: string): number | undefined => {
    if (raw !== undefined) return problems.number(raw, kind, { flag });
    const fromEnv = envName === undefined ? undefined : env[envName];
    return fromEnv === undefined || fromEnv === "" ? undefined : problems.number(fromEnv, kind, { env: envName! });
  };

  if (flags.target !== undefined) {
    let valid = false;
    try {
      valid = ["http:", "https:"].includes(new URL(flags.target).protocol);
    } catch {
      // reported below
    }
    if (!valid) problems.add(`--target must be an http:// or https:// URL (got "${flags.target}")`);
  }
  let tokens: number = OVERHEAD_DEFAULTS.tokens;
  if (flags.tokens !== undefined) {
    const value = flags.tokens.trim() === "" ? NaN : Number(flags.tokens);
    if (Number.isInteger(value) && value >= 2) tokens = value;
    else problems.add(`--tokens must be an integer >= 2, one interval needs two tokens (got "${flags.tokens}")`);
  }
  const frequencyMs = setting(flags.frequencyMs, "--frequency-ms", "nonNegative", OVERHEAD_ENV.frequencyMs);
  const maxOverheadMs = setting(flags.maxOverheadMs, "--max-overhead-ms", "nonNegative", OVERHEAD_ENV.maxOverheadMs);
  const protocol = flags.protocol ?? OVERHEAD_DEFAULTS.protocol;
  if (!OVERHEAD_PROTOCOLS.includes(protocol as OverheadProtocol)) {
    problems.add(`--protocol must be one of ${OVERHEAD_PROTOCOLS.join(", ")} (got "${protocol}")`);
  }
  const concurrency = setting(flags.concurrency, "--concurrency", "positiveInt");
  if (flags.model !== undefined && flags.model.trim() === "") problems.add("--model must not be empty");
  const timeoutS = setting(flags.timeout, "--timeout", "positive");

  const config: OverheadConfig = {
    target: flags.target ?? null,
    tokens,
    frequencyMs: frequencyMs ?? OVERHEAD_DEFAULTS.frequencyMs,
    maxOverheadMs: maxOverheadMs ?? OVERHEAD_DEFAULTS.maxOverheadMs,
    protocol: protocol as OverheadProtocol,
    concurrency: concurrency ?? OVERHEAD_DEFAULTS.concurrency,
    model: flags.model ?? OVERHEAD_DEFAULTS.model,
    timeoutS,
    out: flags.out ?? null,
    quiet: flags.quiet === true,
  };
  if (!problems.empty) throw new UsageError(problems.lines.join("; "));
  return config;
}
