// `cluster status`, `cluster logs` and `cluster down` over a recorded cluster state.
import { RunError, UsageError } from "../errors.js";
import { isOurs, type ManagedProcess, readLog, stopProcess, tailOfText } from "./processes.js";
import { apiKeyFile, type ClusterState, removeState } from "./state.js";

interface NodeProbe {
  health: string;
  detail: string;
}

/** A node's or emulator's /health, and the few /stats figures that say how much it has done. */
async function probeNode(url: string): Promise<NodeProbe> {
  try {
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_500) });
    if (!health.ok) return { health: `http ${health.status}`, detail: "" };
    const stats = (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(1_500) })).json()) as {
      api?: { runs: number; active: number; tokensPublished: number; publishErrors: number };
      gateway?: { connections: number; subscriptions: number; publicationsDelivered: number };
      // An emulator's /stats (src/emulator/stats.ts).
      requests?: number;
      active?: number;
      waiting?: number;
      tokensSent?: number;
    };
    const parts: string[] = [];
    if (stats.api) parts.push(`runs=${stats.api.runs} active=${stats.api.active} tokens=${stats.api.tokensPublished} publish_errors=${stats.api.publishErrors}`);
    if (stats.gateway) parts.push(`connections=${stats.gateway.connections} subscriptions=${stats.gateway.subscriptions} delivered=${stats.gateway.publicationsDelivered}`);
    if (stats.requests !== undefined) parts.push(`requests=${stats.requests} active=${stats.active} waiting=${stats.waiting} tokens=${stats.tokensSent}`);
    return { health: "ok", detail: parts.join(" ") };
  } catch (err) {
    return { health: "down", detail: (err as Error).message };
  }
}

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd());
}

const SERVED_KINDS: ReadonlyArray<ManagedProcess["kind"]> = ["api", "gateway", "emulator"];

/** Endpoint lines shared by `up` and `status`. */
export function endpointLines(state: ClusterState): string[] {
  const lines: string[] = [];
  const session = state.processes.some((proc) => proc.kind === "api");
  const emulators = state.processes.filter((proc) => proc.kind === "emulator").length;
  if (state.haproxyMissing) {
    lines.push(`no load balancer (${state.haproxyMissing}): point clients at the ${session ? "nodes" : "emulators"} themselves:`);
    for (const proc of state.processes) if (SERVED_KINDS.includes(proc.kind)) lines.push(`  ${proc.name.padEnd(9)} ${proc.url}`);
  } else {
    if (session) lines.push(`HTTP API   ${state.endpoints.http}   (round-robin)`, `WebSocket  ${state.endpoints.ws}   (leastconn)`);
    if (state.endpoints.llm) lines.push(`LLM        ${state.endpoints.llm}   (${state.endpoints.llmBalance} over ${emulators} emulator${emulators === 1 ? "" : "s"})`);
    lines.push(`stats      ${state.endpoints.stats}`);
  }
  if (session) {
    lines.push(
      `API key    in ${apiKeyFile(state.stateDir)} (POST /api/run and /api/publish need it)`,
      `run: TOKENSTORM_API_KEY=$(cat ${apiKeyFile(state.stateDir)}) tokenstorm run --protocol session --api-key-env TOKENSTORM_API_KEY --target ${state.endpoints.http} --ws-target ${state.endpoints.ws}`,
    );
  }
  if (state.endpoints.llm) lines.push(`run: tokenstorm run --target ${state.endpoints.llm}`);
  return lines;
}

export async function statusLines(state: ClusterState): Promise<string[]> {
  const rows: string[][] = [["name", "pid", "process", "health", "address", "stats"]];
  for (const proc of state.processes) {
    const alive = isOurs(proc);
    let probe: NodeProbe = { health: alive ? "-" : "down", detail: "" };
    if (alive && SERVED_KINDS.includes(proc.kind)) probe = await probeNode(proc.url!);
    rows.push([proc.name, String(proc.pid), alive ? "running" : "gone", probe.health, proc.url ?? (proc.port ? `port ${proc.port}` : ""), probe.detail]);
  }
  return [`cluster in ${state.stateDir}, up since ${state.startedAt}`, ...pad(rows), "", ...endpointLines(state)];
}

/** Seed 000's service names (docker compose): Granian servers are our API nodes, Centrifugo nodes our gateways. */
const SERVICE_ALIASES: ReadonlyArray<[pattern: RegExp, name: string]> = [
  [/^granian(\d+)$/, "api$1"],
  [/^centrifugo_node(\d+)$/, "gateway$1"],
];

/** The processes whose logs `cluster logs [name]` shows: all, or the one named (or aliased). */
export function logProcesses(state: ClusterState, name: string | undefined): ManagedProcess[] {
  if (name === undefined) return state.processes;
  const alias = SERVICE_ALIASES.find(([pattern]) => pattern.test(name));
  const wanted = alias ? name.replace(alias[0], alias[1]) : name;
  const chosen = state.processes.filter((proc) => proc.name === wanted);
  if (chosen.length === 0) {
    const known = state.processes.map((proc) => proc.name).join(", ");
    throw new UsageError(`cluster logs: no process "${name}" (known: ${known}; also granianN for apiN, centrifugo_nodeN for gatewayN)`);
  }
  return chosen;
}

/**
 * Each log's last `lines` complete lines, and where each log's complete lines ended when it was read:
 * `cluster logs -f` follows from there, so a line written while the tails are printed is shown once,
 * neither lost nor twice.
 */
export function logTails(procs: readonly ManagedProcess[], lines: number): { lines: string[]; ends: number[] } {
  const ends: number[] = [];
  const text = procs.flatMap((proc) => {
    const log = readLog(proc.log);
    // A line still being written is left to the follow, which prints it once it ends.
    const end = log.lastIndexOf(0x0a) + 1;
    ends.push(end);
    return [`==> ${proc.name} (${proc.log}) <==`, tailOfText(log.subarray(0, end).toString("utf8"), lines) || "(empty)", ""];
  });
  return { lines: text, ends };
}

/** Stop every recorded process, load balancer first, Redis last; then forget the cluster. */
export async function clusterDown(state: ClusterState, log: (line: string) => void): Promise<void> {
  const procs = state.processes;
  const outcomes: Array<readonly [ManagedProcess, Awaited<ReturnType<typeof stopProcess>>]> = [];
  // No new traffic first, Redis last; the processes of one kind stop together.
  for (const kind of ["haproxy", "api", "gateway", "emulator", "redis"] as const) {
    const group = procs.filter((proc) => proc.kind === kind);
    outcomes.push(...(await Promise.all(group.map(async (proc) => [proc, await stopProcess(proc)] as const))));
  }
  const refused: string[] = [];
  for (const [proc, outcome] of outcomes) {
    if (outcome === "not-ours") refused.push(`${proc.name} (pid ${proc.pid} now runs something else: left alone)`);
    log(`${proc.name.padEnd(9)} pid ${proc.pid}: ${outcome === "not-ours" ? "not ours any more, left alone" : outcome}`);
  }
  removeState(state.stateDir);
  if (outcomes.some(([, outcome]) => outcome === "killed")) log("some processes needed SIGKILL");
  if (refused.length > 0 && refused.length === procs.length) throw new RunError(`nothing stopped: ${refused.join("; ")}`);
}
