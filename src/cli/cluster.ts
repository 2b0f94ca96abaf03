// `tokenstorm cluster up|status|logs|down`: seed 000's system on this machine — API and gateway
// nodes as processes, Redis between them, HAProxy in front — started, inspected and stopped.
import { type Command, Option } from "commander";
import { UsageError } from "../errors.js";
import { Problems } from "../config/values.js";
import { clusterUp } from "../cluster/up.js";
import { clusterDown, endpointLines, logLines, logProcesses, statusLines } from "../cluster/manage.js";
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
}

/** Seed 000's ports. */
const SEED_PORTS = { http: 9000, ws: 9001, stats: 8404 };

function stateDirOption(): Option {
  return new Option("--state-dir <dir>", "where the cluster keeps pids, ports and logs").default(undefined, "./.tokenstorm-cluster");
}

async function up(flags: UpFlags): Promise<void> {
  const p = new Problems();
  if (flags.servers !== undefined && flags.apiNodes !== undefined) p.add("--servers and --api-nodes are the same setting: give one of them");
  const apiNodes = p.number(flags.apiNodes ?? flags.servers, "positiveInt", { flag: flags.servers !== undefined ? "--servers" : "--api-nodes" }) ?? 2;
  const wsNodes = p.number(flags.wsNodes, "positiveInt", { flag: "--ws-nodes" }) ?? 2;
  const ports = {
    http: p.number(flags.httpPort, "port", { flag: "--http-port" }) ?? SEED_PORTS.http,
    ws: p.number(flags.wsPort, "port", { flag: "--ws-port" }) ?? SEED_PORTS.ws,
    stats: p.number(flags.statsPort, "port", { flag: "--stats-port" }) ?? SEED_PORTS.stats,
  };
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
    host: flags.host ?? "127.0.0.1",
    redisUrl: flags.redis ?? null,
    redisPort,
    haproxy: flags.haproxy !== false,
    ports,
    nodeFlags,
    log,
  });
  log(`cluster up: ${apiNodes} API + ${wsNodes} gateway nodes, Redis ${state.redisUrl}; state in ${state.stateDir}`);
  for (const line of endpointLines(state)) log(line);
}

export function registerClusterCommand(program: Command): void {
  const cluster = program.command("cluster").description("run the session system here: API and gateway nodes, Redis pub/sub between them, HAProxy in front");
  cluster
    .command("up")
    .description("start API and gateway nodes (and Redis, HAProxy) as background processes")
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
    .addOption(stateDirOption())
    .action(up);
  cluster
    .command("status")
    .description("per-process state, node health and stats")
    .addOption(stateDirOption())
    .action(async (flags: { stateDir?: string }) => {
      const lines = await statusLines(requireState(stateDirOf(flags.stateDir)));
      process.stdout.write(`${lines.join("\n")}\n`);
    });
  cluster
    .command("logs [node]")
    .description("the end of every process's log, or of one: api1 (granian1), gateway1 (centrifugo_node1), redis, haproxy...")
    .option("--lines <n>", "lines per log (default 50)")
    .option("-f, --follow", "keep printing lines as they are written, until Ctrl-C")
    .addOption(stateDirOption())
    .action(async (node: string | undefined, flags: { stateDir?: string; lines?: string; follow?: boolean }) => {
      const p = new Problems();
      const lines = p.number(flags.lines, "positiveInt", { flag: "--lines" }) ?? 50;
      if (!p.empty) throw new UsageError(p.lines.join("; "));
      const procs = logProcesses(requireState(stateDirOf(flags.stateDir)), node);
      process.stdout.write(`${logLines(procs, lines).join("\n")}\n`);
      if (!flags.follow) return;
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      await followLogs(procs, (text) => void process.stdout.write(text), stop.signal);
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
