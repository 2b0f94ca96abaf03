// `cluster up`: Redis (a local redis-server when no URL is given), the gateway and API nodes as
// detached `tokenstorm node` processes, emulated LLM servers as detached `tokenstorm emulate`
// processes, and HAProxy in front — each started only after the one it depends on answers. Any
// failure stops what was already started, so nothing is left behind.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunError } from "../errors.js";
import { type Backend, boundPorts, haproxyConfig, type HaproxyPorts, type LlmFrontend } from "./haproxy.js";
import { findExecutable, freePort, freePorts, isOurs, type ManagedProcess, spawnDetached, stopProcess, tailOf, waitUntil } from "./processes.js";
import { apiKeyFile, type ClusterState, ensureStateDir, readState, removeState, writeState } from "./state.js";

/** Emulated LLM servers behind HAProxy's LLM frontend. */
export interface ClusterEmulators {
  count: number;
  /** `tokenstorm emulate` flags each instance gets (checked beforehand: see emulator-flags.ts). */
  flags: string[];
  /** HAProxy's `balance` for them (see isBalance). */
  balance: string;
  /** HAProxy's LLM port. */
  port: number;
}

export interface ClusterUpOptions {
  stateDir: string;
  /** Both 0: no session system, and so no Redis (emulators only). */
  apiNodes: number;
  wsNodes: number;
  emulators?: ClusterEmulators;
  /** Interface everything listens on; nodes are reached on it too (0.0.0.0: on loopback). */
  host: string;
  redisUrl: string | null;
  /** Port for the local redis-server; null: a free one. */
  redisPort: number | null;
  haproxy: boolean;
  ports: HaproxyPorts;
  /** Extra `tokenstorm node` flags: --length, --delay, --ttft, --ping-interval. */
  nodeFlags: string[];
  log(line: string): void;
}

/** The node command alone (see node-entry.ts): a full CLI load costs seconds on a busy machine. */
const NODE_ENTRY = fileURLToPath(new URL("./node-entry.js", import.meta.url));
/** Emulators run the whole CLI: `emulate` loads only its own command, well under a second. */
const CLI_ENTRY = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const PROCESS_ORDER: ReadonlyArray<ManagedProcess["kind"]> = ["redis", "gateway", "api", "emulator", "haproxy"];

function httpOk(url: string): () => Promise<boolean> {
  return async () => (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
}

function redisPong(host: string, port: number): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const socket = connect({ host, port }, () => socket.write("PING\r\n"));
      socket.setTimeout(1_000, () => socket.destroy());
      socket.once("data", (data) => {
        resolve(data.toString().startsWith("+PONG"));
        socket.destroy();
      });
      socket.once("error", () => resolve(false));
      socket.once("close", () => resolve(false));
    });
}

function tcpOpen(host: string, port: number): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
}

class Launch {
  readonly started: ManagedProcess[] = [];

  /** `persist` records the processes after each start, so a crash of `up` itself leaves no orphan unknown. */
  constructor(
    private readonly options: ClusterUpOptions,
    private readonly persist: () => void,
  ) {}

  logFile(name: string): string {
    return join(this.options.stateDir, "logs", `${name}.log`);
  }

  async start(proc: Omit<ManagedProcess, "pid" | "log">, command: string, args: string[], ready: () => Promise<boolean>, env?: NodeJS.ProcessEnv): Promise<ManagedProcess> {
    const log = this.logFile(proc.name);
    const pid = spawnDetached(command, args, log, env);
    const managed: ManagedProcess = { ...proc, pid, log };
    this.started.push(managed);
    this.persist();
    const outcome = await waitUntil(ready, pid, READY_TIMEOUT_MS);
    if (outcome !== "ready") {
      const why = outcome === "exited" ? "exited" : `did not answer within ${READY_TIMEOUT_MS / 1000} s`;
      const tail = tailOf(log, 5);
      throw new RunError(`${proc.name} ${why}${tail ? `; its log (${log}) ends with:\n${tail}` : ` (log: ${log})`}`);
    }
    return managed;
  }

  async rollback(): Promise<void> {
    for (const proc of [...this.started].reverse()) await stopProcess(proc, 2_000).catch(() => undefined);
  }
}

async function startRedis(launch: Launch, options: ClusterUpOptions, nodeHost: string): Promise<string> {
  if (options.redisUrl) return options.redisUrl;
  const binary = findExecutable("redis-server");
  if (!binary) throw new RunError("no Redis: give --redis URL, or install redis-server for a local one");
  const port = options.redisPort ?? (await freePort(nodeHost));
  const args = ["--port", String(port), "--bind", nodeHost, "--save", "", "--appendonly", "no", "--daemonize", "no"];
  await launch.start({ name: "redis", kind: "redis", signature: ["redis-server", `:${port}`], port, url: `redis://${nodeHost}:${port}` }, binary, args, redisPong(nodeHost, port));
  options.log(`redis-server on ${nodeHost}:${port}`);
  return `redis://${nodeHost}:${port}`;
}

/** Nodes of one role, started side by side: each takes a while to load, none depends on another. */
/** The variable the nodes read the cluster's API key from (never on their command line, which anyone sees). */
const NODE_KEY_VARIABLE = "TOKENSTORM_NODE_API_KEY";

async function startNodes(launch: Launch, options: ClusterUpOptions, nodeHost: string, redisUrl: string, role: "api" | "gateway", ports: number[], apiKey: string): Promise<Backend[]> {
  return Promise.all(
    ports.map(async (port, i) => {
      const name = `${role}${i + 1}`;
      const args = [NODE_ENTRY, "node", "--role", role, "--host", options.host, "--port", String(port), "--redis", redisUrl, "--api-key-env", NODE_KEY_VARIABLE, ...options.nodeFlags];
      const url = `http://${nodeHost}:${port}`;
      const env = { ...process.env, [NODE_KEY_VARIABLE]: apiKey };
      await launch.start({ name, kind: role, signature: ["node", "--role", role, "--port", String(port)], port, url }, process.execPath, args, httpOk(`${url}/health`), env);
      options.log(`${name} on ${url}`);
      return { name, port };
    }),
  );
}

/** Emulators side by side, each its own process (own caches and counters, its own log, stopped alone). */
async function startEmulators(launch: Launch, options: ClusterUpOptions, nodeHost: string, ports: number[], flags: string[]): Promise<Backend[]> {
  return Promise.all(
    ports.map(async (port, i) => {
      const name = `emulator${i + 1}`;
      const args = [CLI_ENTRY, "emulate", "--host", options.host, "--port", String(port), ...flags];
      const url = `http://${nodeHost}:${port}`;
      await launch.start({ name, kind: "emulator", signature: ["emulate", "--port", String(port)], port, url }, process.execPath, args, httpOk(`${url}/health`));
      options.log(`${name} on ${url}`);
      return { name, port };
    }),
  );
}

export async function clusterUp(options: ClusterUpOptions): Promise<ClusterState> {
  const existing = readState(options.stateDir);
  if (existing && existing.processes.some((proc) => isOurs(proc))) {
    throw new RunError(`a cluster is already up in ${options.stateDir} (run tokenstorm cluster down --state-dir ${options.stateDir} first)`);
  }
  ensureStateDir(options.stateDir);
  // Nodes listening on every interface are reached locally on loopback.
  const nodeHost = options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const state: ClusterState = {
    version: 1,
    startedAt: new Date().toISOString(),
    stateDir: options.stateDir,
    redisUrl: options.redisUrl ?? "",
    processes: [],
    endpoints: { http: "", ws: "", stats: null },
    haproxyMissing: null,
  };
  const launch = new Launch(options, () => {
    state.processes = launch.started;
    writeState(state);
  });
  try {
    const session = options.apiNodes + options.wsNodes > 0;
    if (session && (options.apiNodes === 0 || options.wsNodes === 0)) throw new RunError("a session system needs API and gateway nodes both (or neither)");
    const emulatorCount = options.emulators?.count ?? 0;
    if (session) state.redisUrl = await startRedis(launch, options, nodeHost);
    const ports = await freePorts(nodeHost, options.wsNodes + options.apiNodes + emulatorCount);
    let apiKey = "";
    if (session) {
      // Runs and publishes change state: only holders of the cluster's key may ask for them.
      apiKey = randomBytes(24).toString("base64url");
      writeFileSync(apiKeyFile(options.stateDir), `${apiKey}\n`, { mode: 0o600 });
    }
    const [gateways, apis, emulators] = await Promise.all([
      startNodes(launch, options, nodeHost, state.redisUrl, "gateway", ports.slice(0, options.wsNodes), apiKey),
      startNodes(launch, options, nodeHost, state.redisUrl, "api", ports.slice(options.wsNodes, options.wsNodes + options.apiNodes), apiKey),
      startEmulators(launch, options, nodeHost, ports.slice(options.wsNodes + options.apiNodes), options.emulators?.flags ?? []),
    ]);
    // Listed in a stable order whatever order they became ready in (emulator10 after emulator9).
    launch.started.sort((a, b) => PROCESS_ORDER.indexOf(a.kind) - PROCESS_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name, "en", { numeric: true }));
    if (session) state.endpoints = { http: `http://${nodeHost}:${apis[0]!.port}`, ws: `ws://${nodeHost}:${gateways[0]!.port}/connection/websocket`, stats: null };
    if (emulators.length > 0) state.endpoints.llm = `http://${nodeHost}:${emulators[0]!.port}`;
    const llm: LlmFrontend | undefined = options.emulators && emulators.length > 0 ? { port: options.emulators.port, balance: options.emulators.balance, emulators } : undefined;
    const haproxy = options.haproxy ? findExecutable("haproxy") : null;
    if (haproxy) {
      const config = join(options.stateDir, "haproxy.cfg");
      writeFileSync(config, haproxyConfig({ bindHost: options.host, nodeHost, ports: options.ports, api: apis, gateways, llm }));
      const listening = boundPorts(options.ports, session, llm);
      await launch.start({ name: "haproxy", kind: "haproxy", signature: ["-f", config], port: listening[0] }, haproxy, ["-f", config, "-db"], async () => {
        for (const port of listening) if (!(await tcpOpen(nodeHost, port)())) return false;
        return true;
      });
      state.endpoints = {
        http: session ? `http://${nodeHost}:${options.ports.http}` : "",
        ws: session ? `ws://${nodeHost}:${options.ports.ws}/connection/websocket` : "",
        stats: `http://${nodeHost}:${options.ports.stats}/stats`,
        ...(llm ? { llm: `http://${nodeHost}:${llm.port}`, llmBalance: llm.balance } : {}),
      };
    } else {
      state.haproxyMissing = options.haproxy ? "haproxy is not installed" : "--no-haproxy";
    }
    state.processes = launch.started;
    writeState(state);
    return state;
  } catch (err) {
    await launch.rollback();
    removeState(options.stateDir);
    throw err;
  }
}
