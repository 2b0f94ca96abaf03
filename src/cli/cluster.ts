// `tokenstorm cluster up|status|logs|down`: seed 000's system on this machine — API and gateway
// nodes as processes, Redis between them, HAProxy in front — and emulated LLM servers behind
// HAProxy's LLM port, started, inspected and stopped.
import { type Command, Option } from "commander";
import { UsageError } from "../errors.js";
import { Problems } from "../config/values.js";
import { type ClusterEmulators, clusterUp } from "../cluster/up.js";
import { BALANCE_CHOICES, isBalance } from "../cluster/haproxy.js";
import { clusterDown, endpointLines, logProcesses, logTails, statusLines } from "../cluster/manage.js";
import { followLogs } from "../cluster/follow.js";
import { LOG_LEVELS } from "../cluster/node-options.js";
import { requireState, stateDirOf } from "../cluster/state.js";

interface UpFlags {
  apiNodes?: string;
  servers?: string;
  wsNodes?: string;
  host?: string;
  redis?: string;
  redisPort?: string;
  haproxy?: boolean;
  httpPort?: string;
  wsPort?: string;
  statsPort?: string;
  stateDir?: string;
  length?: string;
  delay?: string;
  ttft?: string;
  pingInterval?: string;
  logLevel?: string;
  session?: boolean;
  emulators?: string;
  emulatorArgs?: string;
  llmPort?: string;
  balance?: string;
}

/** Seed 000's ports. */
const SEED_PORTS = { http: 9000, ws: 9001, stats: 8404 };
/** The LLM port: vLLM's and `tokenstorm emulate`'s own default, so a client's usual URL reaches the pool. */
const DEFAULT_LLM_PORT = 8000;

/** The flags that only mean something for session nodes, and so not with --no-session. */
const SESSION_FLAGS: ReadonlyArray<[flag: string, key: keyof UpFlags]> = [
  ["--api-nodes", "apiNodes"],
  ["--servers", "servers"],
  ["--ws-nodes", "wsNodes"],
  ["--redis", "redis"],
  ["--redis-port", "redisPort"],
  ["--http-port", "httpPort"],
  ["--ws-port", "wsPort"],
  ["--length", "length"],
  ["--delay", "delay"],
  ["--ttft", "ttft"],
  ["--ping-interval", "pingInterval"],
  ["--log-level", "logLevel"],
];

/** --emulators and the flags that go with it; null without emulators. Problems are added to `p`. */
async function emulatorsOf(flags: UpFlags, p: Problems): Promise<ClusterEmulators | null> {
  const count = p.number(flags.emulators, "nonNegativeInt", { flag: "--emulators" }) ?? 0;
  if (count === 0) {
    for (const [flag, value] of [["--emulator-args", flags.emulatorArgs], ["--llm-port", flags.llmPort], ["--balance", flags.balance]] as const) {
      if (value !== undefined) p.add(`${flag} is for emulators: add --emulators N`);
    }
    return null;
  }
  const port = p.number(flags.llmPort, "port", { flag: "--llm-port" }) ?? DEFAULT_LLM_PORT;
  const balance = flags.balance ?? "roundrobin";
  if (!isBalance(balance)) p.add(`--balance must be one of ${BALANCE_CHOICES} (got "${balance}")`);
  if (flags.haproxy === false) {
    for (const [flag, value] of [["--llm-port", flags.llmPort], ["--balance", flags.balance]] as const) {
      if (value !== undefined) p.add(`${flag} is HAProxy's: leave it out with --no-haproxy`);
    }
  }
  let emulatorFlags: string[] = [];
  if (flags.emulatorArgs !== undefined) {
    try {
      // Loaded only when asked for: the emulate command's parser brings the emulator's option rules.
      const { checkEmulatorArgs } = await import("../cluster/emulator-flags.js");
      emulatorFlags = await checkEmulatorArgs(flags.emulatorArgs);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      p.add(err.message);
    }
  }
  return { count, flags: emulatorFlags, balance, port };
}

function stateDirOption(): Option {
  return new Option("--state-dir <dir>", "where the cluster keeps pids, ports and logs").default(undefined, "./.tokenstorm-cluster");
}

async function up(flags: UpFlags): Promise<void> {
  const p = new Problems();
  const session = flags.session !== false;
  if (!session) {
    for (const [flag, key] of SESSION_FLAGS) if (flags[key] !== undefined) p.add(`${flag} is for session nodes: leave it out with --no-session`);
  }
  if (flags.servers !== undefined && flags.apiNodes !== undefined) p.add("--servers and --api-nodes are the same setting: give one of them");
  const apiNodes = session ? (p.number(flags.apiNodes ?? flags.servers, "positiveInt", { flag: flags.servers !== undefined ? "--servers" : "--api-nodes" }) ?? 2) : 0;
  const wsNodes = session ? (p.number(flags.wsNodes, "positiveInt", { flag: "--ws-nodes" }) ?? 2) : 0;
  const emulators = await emulatorsOf(flags, p);
  if (!session && !emulators) p.add("--no-session leaves nothing to start: add --emulators N");
  const ports = {
    http: p.number(flags.httpPort, "port", { flag: "--http-port" }) ?? SEED_PORTS.http,
    ws: p.number(flags.wsPort, "port", { flag: "--ws-port" }) ?? SEED_PORTS.ws,
    stats: p.number(flags.statsPort, "port", { flag: "--stats-port" }) ?? SEED_PORTS.stats,
  };
  if (emulators && flags.haproxy !== false) {
    const inUse = [...(session ? ([["--http-port", ports.http], ["--ws-port", ports.ws]] as const) : []), ["--stats-port", ports.stats] as const];
    for (const [flag, port] of inUse) if (port === emulators.port && port !== 0) p.add(`--llm-port ${port} is also ${flag}: give each its own port`);
  }
  const redisPort = p.number(flags.redisPort, "port", { flag: "--redis-port" }) ?? null;
  if (flags.redis !== undefined && !/^rediss?:\/\//.test(flags.redis)) p.add(`--redis must be a redis:// URL (got "${flags.redis}")`);
  if (flags.redis !== undefined && redisPort !== null) p.add("--redis-port is for the local redis-server; --redis points at another one");
  const nodeFlags: string[] = [];
  for (const [flag, value, kind] of [["--length", flags.length, "positiveInt"], ["--delay", flags.delay, "nonNegative"], ["--ttft", flags.ttft, "nonNegative"], ["--ping-interval", flags.pingInterval, "positive"]] as const) {
    if (value !== undefined && p.number(value, kind, { flag }) !== undefined) nodeFlags.push(flag, value);
  }
  const logLevel = flags.logLevel ?? "info";
  if ((LOG_LEVELS as readonly string[]).includes(logLevel)) nodeFlags.push("--log-level", logLevel);
  else p.add(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);
  if (!p.empty) throw new UsageError(p.lines.join("; "));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const state = await clusterUp({
    stateDir: stateDirOf(flags.stateDir),
    apiNodes,
    wsNodes,
    ...(emulators ? { emulators } : {}),
    host: flags.host ?? "127.0.0.1",
    redisUrl: flags.redis ?? null,
    redisPort,
    haproxy: flags.haproxy !== false,
    ports,
    nodeFlags,
    log,
  });
  const parts = [
    ...(session ? [`${apiNodes} API + ${wsNodes} gateway nodes, Redis ${state.redisUrl}`] : []),
    ...(emulators ? [`${emulators.count} emulator${emulators.count === 1 ? "" : "s"}`] : []),
  ];
  log(`cluster up: ${parts.join(", ")}; state in ${state.stateDir}`);
  for (const line of endpointLines(state)) log(line);
}

export function registerClusterCommand(program: Command): void {
  const cluster = program.command("cluster").description("run the session system here: API and gateway nodes, Redis pub/sub between them, emulated LLM servers, HAProxy in front");
  cluster
    .command("up")
    .description("start API and gateway nodes (and Redis), emulated LLM servers, HAProxy in front, as background processes")
    .option("--api-nodes <n>", "API nodes (POST /api/run) (default 2)")
    .option("--servers <n>", "same as --api-nodes")
    .option("--ws-nodes <n>", "WebSocket gateway nodes (default 2)")
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--redis <url>", "use this Redis instead of starting a local redis-server")
    .option("--redis-port <port>", "port of the local redis-server (default: a free one)")
    .option("--no-haproxy", "no load balancer: clients use the nodes' own addresses")
    .option("--http-port <port>", "HAProxy's HTTP port, round-robin over API nodes (default 9000)")
    .option("--ws-port <port>", "HAProxy's WebSocket port, leastconn over gateways (default 9001)")
    .option("--stats-port <port>", "HAProxy's stats page (default 8404)")
    .option("--length <n>", "nodes' default tokens per run (default 100)")
    .option("--delay <s>", "nodes' default seconds between tokens (default 0.01)")
    .option("--ttft <s>", "nodes' default seconds before the first token (default: --delay)")
    .option("--ping-interval <s>", "gateways' seconds between server pings (default 25)")
    .option("--log-level <level>", "nodes' logs: info, a line per request and WebSocket upgrade; warn, errors only (default info)")
    .option("--no-session", "no session system (no Redis, API or gateway nodes): emulators only")
    .option("--emulators <n>", "emulated LLM servers, one `tokenstorm emulate` process each, behind HAProxy's LLM port (default 0)")
    .option("--emulator-args <flags>", "`tokenstorm emulate` flags every emulator gets, in one quoted string: \"--ttft-ms 150 --itl-ms 20 --prefix-cache-tokens 100000\"")
    .option("--llm-port <port>", `HAProxy's LLM port, balanced over the emulators (default ${DEFAULT_LLM_PORT})`)
    .option("--balance <method>", `how HAProxy picks an emulator: ${BALANCE_CHOICES} (consistent hash on a header: sticky sessions) (default roundrobin)`)
    .addOption(stateDirOption())
    .action(up);
  cluster
    .command("status")
    .description("per-process state, node and emulator health and stats")
    .addOption(stateDirOption())
    .action(async (flags: { stateDir?: string }) => {
      const lines = await statusLines(requireState(stateDirOf(flags.stateDir)));
      process.stdout.write(`${lines.join("\n")}\n`);
    });
  cluster
    .command("logs [node]")
    .description("the end of every process's log, or of one: api1 (granian1), gateway1 (centrifugo_node1), emulator1, redis, haproxy...")
    .option("--lines <n>", "lines per log (default 50)")
    .option("-f, --follow", "keep printing lines as they are written, until Ctrl-C")
    .addOption(stateDirOption())
    .action(async (node: string | undefined, flags: { stateDir?: string; lines?: string; follow?: boolean }) => {
      const p = new Problems();
      const lines = p.number(flags.lines, "positiveInt", { flag: "--lines" }) ?? 50;
      if (!p.empty) throw new UsageError(p.lines.join("; "));
      const procs = logProcesses(requireState(stateDirOf(flags.stateDir)), node);
      const tails = logTails(procs, lines);
      process.stdout.write(`${tails.lines.join("\n")}\n`);
      if (!flags.follow) return;
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      await followLogs(procs, (text) => void process.stdout.write(text), stop.signal, tails.ends);
    });
  cluster
    .command("down")
    .description("stop everything `cluster up` started, and nothing else")
    .addOption(stateDirOption())
    .action(async (flags: { stateDir?: string }) => {
      const state = requireState(stateDirOf(flags.stateDir));
      await clusterDown(state, (line) => void process.stdout.write(`${line}\n`));
      process.stdout.write("cluster down\n");
    });
  // Usage errors of the subcommands end as one line too (main.ts does this for top-level commands).
  for (const command of cluster.commands) command.exitOverride().configureOutput({ outputError: () => undefined });
}
