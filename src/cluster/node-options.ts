// Flags of `tokenstorm node` (one session node: API, gateway or both), shared by the command and by
// `cluster up`, which builds the same flags for each child process it starts.
import { UsageError } from "../errors.js";
import { Problems } from "../config/values.js";
import { DEFAULT_LENGTH, DEFAULT_PING_INTERVAL_S } from "../protocols/session/embedded.js";
import { type BrokerSpec, NODE_ROLES, type NodeRole, type SessionNodeOptions } from "../protocols/session/node.js";

export interface NodeFlags {
  role?: string;
  host?: string;
  port?: string;
  redis?: string;
  centrifugo?: string;
  centrifugoKeyEnv?: string;
  apiKeyEnv?: string;
  tokenSecretEnv?: string;
  length?: string;
  delay?: string;
  ttft?: string;
  pingInterval?: string;
  preciseTiming?: boolean;
  logLevel?: string;
}

export const LOG_LEVELS = ["warn", "info"] as const;

function brokerOf(flags: NodeFlags, role: NodeRole, problems: Problems, env: NodeJS.ProcessEnv): BrokerSpec {
  if (flags.redis !== undefined && flags.centrifugo !== undefined) problems.add("--redis and --centrifugo exclude each other");
  if (flags.redis !== undefined) {
    if (!/^rediss?:\/\//.test(flags.redis)) problems.add(`--redis must be a redis:// URL (got "${flags.redis}")`);
    return { kind: "redis", url: flags.redis };
  }
  if (flags.centrifugo !== undefined) {
    if (role !== "api") problems.add("--centrifugo is for --role api: Centrifugo itself is the gateway");
    if (!/^https?:\/\//.test(flags.centrifugo)) problems.add(`--centrifugo must be an http:// URL (got "${flags.centrifugo}")`);
    let apiKey: string | null = null;
    if (flags.centrifugoKeyEnv !== undefined) {
      apiKey = env[flags.centrifugoKeyEnv] ?? null;
      if (!apiKey) problems.add(`--centrifugo-key-env: environment variable ${flags.centrifugoKeyEnv} is not set`);
    }
    return { kind: "centrifugo", url: flags.centrifugo, apiKey };
  }
  if (role !== "all") problems.add(`--role ${role} needs a broker: --redis URL${role === "api" ? " or --centrifugo URL" : ""}`);
  return { kind: "in-process" };
}

export function resolveNodeOptions(flags: NodeFlags, env: NodeJS.ProcessEnv = process.env): SessionNodeOptions {
  const p = new Problems();
  const role = (flags.role ?? "all") as NodeRole;
  if (!NODE_ROLES.includes(role)) p.add(`--role must be one of ${NODE_ROLES.join(", ")} (got "${flags.role}")`);
  const broker = brokerOf(flags, role, p, env);
  let apiKey: string | null = null;
  if (flags.apiKeyEnv !== undefined) {
    apiKey = env[flags.apiKeyEnv] ?? null;
    if (!apiKey) p.add(`--api-key-env: environment variable ${flags.apiKeyEnv} is not set`);
  }
  let tokenSecret: string | null = null;
  if (flags.tokenSecretEnv !== undefined) {
    tokenSecret = env[flags.tokenSecretEnv] || null;
    if (!tokenSecret) p.add(`--token-secret-env: environment variable ${flags.tokenSecretEnv} is not set`);
  }
  const delayS = p.number(flags.delay, "nonNegative", { flag: "--delay" }) ?? 0.01;
  const options: SessionNodeOptions = {
    host: flags.host ?? "127.0.0.1",
    port: p.number(flags.port, "port", { flag: "--port" }) ?? 0,
    role,
    broker,
    defaults: {
      length: p.number(flags.length, "positiveInt", { flag: "--length" }) ?? DEFAULT_LENGTH,
      delayMs: delayS * 1000,
      ttftMs: (p.number(flags.ttft, "nonNegative", { flag: "--ttft" }) ?? delayS) * 1000,
    },
    apiKey,
    tokenSecret,
    pingIntervalS: p.number(flags.pingInterval, "positive", { flag: "--ping-interval" }) ?? DEFAULT_PING_INTERVAL_S,
    preciseTiming: flags.preciseTiming === true,
    logRequests: flags.logLevel === "info",
  };
  if (flags.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) {
    p.add(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got "${flags.logLevel}")`);
  }
  if (!p.empty) throw new UsageError(p.lines.join("; "));
  return options;
}
