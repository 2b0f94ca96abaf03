// Bench sections for the emulator at fleet scale and for start-up weight:
// - a bare socket reader (child processes of this script) that costs little per token, so the
//   emulator, not the client, is what a stream count measures: it runs at the lowest priority, opens
//   and warms its connections before the measured streams start, and reads each socket a few times
//   a second rather than once per token;
// - `emulate --workers W` against it: mean / p99 lateness per stream count, and the most streams at
//   a 20 ms cadence each fleet size holds with mean lateness under 1 ms;
// - connections held at once through `tokenstorm run --workers`, resets counted;
// - whole-process CPU and peak RSS of a one-request `tokenstorm run` and of `--version`.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type EmulatorProcess, spawnEmulator } from "../src/emulator/process.js";
import type { LatencySummary } from "../src/metrics/histogram.js";

type Row = [string, string, string];
const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const SELF = fileURLToPath(new URL("./run.js", import.meta.url));
/** The lateness a fleet size must stay under to "hold" a stream count. */
const HELD_MEAN_MS = 1;

interface ReaderResult {
  completed: number;
  resets: number;
  failed: number;
  /** When the first and the last request were written (ms since the epoch, from the monotonic clock). */
  firstStartAt: number;
  lastStartAt: number;
}

type Outcome = "completed" | "resets" | "failed";

/**
 * How often a bare reader reads each of its sockets (TOKENSTORM_FLEET_READ_MS, default 250). Between
 * reads a socket is paused (libuv stops polling it), so the tokens the emulator sends meanwhile wait
 * in the kernel's receive buffer and the reader wakes once per socket per period instead of once per
 * token. The emulator's lateness, which is what the fleet rows measure, is taken where it writes, so
 * reading later changes nothing it measures; it leaves the cores to the emulator.
 */
const READ_EVERY_MS = Number(process.env["TOKENSTORM_FLEET_READ_MS"] ?? 250);
/** One receive buffer shared by every socket of a reader: a read's bytes are looked at before the next read. */
const READ_BUFFER = Buffer.alloc(256 * 1024);

/** User and system CPU time of a process and its direct children (an `emulate --workers` primary and its workers), seconds, from /proc. */
export function processTreeCpu(pid: number): { userS: number; systemS: number } {
  const ticksPerS = 100;
  let user = 0;
  let system = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime(15).
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(entry) !== pid && Number(fields[1]) !== pid) continue;
      user += Number(fields[11]);
      system += Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return { userS: user / ticksPerS, systemS: system / ticksPerS };
}

/** CPU time (user + system) of a process and its direct children, seconds. */
export function processTreeCpuS(pid: number): number {
  const { userS, systemS } = processTreeCpu(pid);
  return userS + systemS;
}

/** Child mode: a listener that takes connections and reads each a few times a second; prints its port. */
export function writeSink(): void {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("data", () => socket.pause());
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
  setInterval(() => {
    for (const socket of sockets) socket.resume();
  }, 100);
}

/**
 * The floor under the emulator's CPU per token: one socket write of one token's frame (the HTTP
 * chunk of an SSE event), round-robin over 1,000 loopback connections, nothing else (no timing,
 * rendering or bookkeeping). The reading side is another process that reads rarely, so the figure
 * is the write alone; user and system CPU of this process per write.
 */
export async function writeFloor(rows: Row[]): Promise<void> {
  const connections = 1000;
  const rounds = 100;
  const sink = spawn(process.execPath, [SELF, "write-sink"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve) => sink.stdout!.once("data", (data: Buffer) => resolve(Number(data.toString()))));
    const sockets = await Promise.all(
      Array.from({ length: connections }, () => new Promise<Socket>((resolve, reject) => connect({ host: "127.0.0.1", port, noDelay: true }).once("connect", function (this: Socket) { resolve(this); }).once("error", reject))),
    );
    const event = `data: ${JSON.stringify({ id: "cmpl-bench", object: "text_completion", created: 1, model: "bench", choices: [{ text: " token", index: 0, finish_reason: null }] })}\n\n`;
    const frame = `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`;
    const before = process.cpuUsage();
    for (let round = 0; round < rounds; round++) {
      for (const socket of sockets) socket.write(frame);
      // As the emulator does between firing passes: back through the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(before);
    const writes = connections * rounds;
    for (const socket of sockets) socket.destroy();
    rows.push([
      `loopback floor: CPU-microseconds per token frame written, user / system (one write each, ${connections} sockets, nothing else)`,
      `${(used.user / writes).toFixed(1)} / ${(used.system / writes).toFixed(1)}`,
      "-",
    ]);
  } finally {
    sink.kill();
  }
}

/**
 * What one sleep of the timing wheel's last stretch costs: Atomics.wait for a fraction of a
 * millisecond, as the wheel sleeps between firing passes. CPU (user + system) and wall time per
 * sleep, over 5,000 sleeps each; a sleep wakes later than asked by the kernel's timer slack.
 */
export function wheelSleepCost(rows: Row[]): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const sleeps = 5000;
  for (const ms of [0.02, 0.1, 0.25]) {
    const before = process.cpuUsage();
    const startedAt = performance.now();
    for (let i = 0; i < sleeps; i++) Atomics.wait(cell, 0, 0, ms);
    const wallUs = ((performance.now() - startedAt) * 1000) / sleeps;
    const used = process.cpuUsage(before);
    rows.push([
      `wheel sleep: CPU-microseconds (user / system) and wall microseconds per Atomics.wait of ${ms} ms`,
      `${(used.user / sleeps).toFixed(1)} / ${(used.system / sleeps).toFixed(1)}, ${wallUs.toFixed(0)}`,
      "-",
    ]);
  }
}

/** Connections a reader opens at once while it warms up (the listen backlog is 511). */
const OPEN_BATCH = 100;

/** One reader connection: the bytes it looks at and what it waits for. */
interface ReaderConnection {
  socket: Socket;
  /** The last five bytes read: a chunked body ends with "0\r\n\r\n". */
  tail: string;
  /** Runs when the response being read ends; null while none is awaited. */
  onEnd: ((outcome: Outcome) => void) | null;
  /** Reads wait for the next period (the measured streams) instead of happening as bytes arrive. */
  batched: boolean;
}

/** A POST /v1/completions of `tokens` streamed tokens. */
function completionRequest(target: URL, tokens: number, close: boolean): string {
  const body = JSON.stringify({ model: "bench", prompt: "bench", stream: true, max_tokens: tokens });
  return `POST /v1/completions HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${close ? "Connection: close\r\n" : ""}\r\n${body}`;
}

/**
 * Child mode: `streams` connections, each warmed up by a one-token request; then "ready" on stdout,
 * and on "go" from stdin one stream of `tokens` tokens on each, started over `rampMs`. Prints a
 * ReaderResult as its last line. Connections are open before the measured streams start, so the
 * emulator's figures are those of streaming, not of accepting connections.
 */
export async function bareReader(url: string, streams: number, tokens: number, rampMs: number): Promise<void> {
  // The lowest priority: on cores shared with the emulator, a reader's turn never delays a firing.
  setPriority(19);
  const target = new URL(url);
  const result: ReaderResult = { completed: 0, resets: 0, failed: 0, firstStartAt: Infinity, lastStartAt: 0 };
  const paused = new Set<Socket>();
  const ended = (connection: ReaderConnection, outcome: Outcome): void => {
    const onEnd = connection.onEnd;
    connection.onEnd = null;
    onEnd?.(outcome);
  };
  const open = (): Promise<ReaderConnection> =>
    new Promise((resolve, reject) => {
      const socket = connect({
        host: target.hostname,
        port: Number(target.port),
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          // Returning false pauses the socket until the next period.
          callback: (length: number, buffer: Uint8Array): boolean => {
            connection.tail = (connection.tail + Buffer.from(buffer.buffer, buffer.byteOffset, length).toString("latin1", Math.max(0, length - 5))).slice(-5);
            if (connection.tail === "0\r\n\r\n") {
              connection.tail = "";
              ended(connection, "completed");
              return true;
            }
            if (!connection.batched) return true;
            paused.add(socket);
            return false;
          },
        },
      });
      const connection: ReaderConnection = { socket, tail: "", onEnd: null, batched: false };
      socket.once("connect", () => resolve(connection));
      socket.on("error", (err: NodeJS.ErrnoException) => {
        reject(err);
        ended(connection, err.code === "ECONNRESET" ? "resets" : "failed");
      });
      socket.on("close", () => ended(connection, "failed"));
    });
  const respond = (connection: ReaderConnection, request: string): Promise<Outcome> =>
    new Promise((resolve) => {
      connection.onEnd = resolve;
      connection.socket.write(request);
    });

  const warmUp = completionRequest(target, 1, false);
  const connections: ReaderConnection[] = [];
  for (let first = 0; first < streams; first += OPEN_BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, streams - first) }, () => open()));
    const outcomes = await Promise.all(batch.map((connection) => respond(connection, warmUp)));
    if (outcomes.some((outcome) => outcome !== "completed")) throw new Error("bench reader: a warm-up request failed");
    connections.push(...batch);
  }
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));

  const wake = setInterval(() => {
    for (const socket of paused) socket.resume();
    paused.clear();
  }, READ_EVERY_MS);
  const request = completionRequest(target, tokens, true);
  const start = performance.now();
  await Promise.all(
    connections.map(async (connection, i) => {
      const delayMs = start + (rampMs * i) / streams - performance.now();
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      connection.batched = true;
      const at = performance.timeOrigin + performance.now();
      result.firstStartAt = Math.min(result.firstStartAt, at);
      result.lastStartAt = Math.max(result.lastStartAt, at);
      const outcome = await respond(connection, request);
      result[outcome]++;
      paused.delete(connection.socket);
      connection.socket.destroy();
    }),
  );
  clearInterval(wake);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stdin.destroy();
}

/**
 * `processes` bare readers sharing `streams`: each opens and warms its connections, then
 * `beforeStart` runs (the emulator's figures are reset there) and every reader starts its streams.
 */
export async function readers(url: string, processes: number, streams: number, tokens: number, rampMs: number, beforeStart: () => Promise<void>): Promise<ReaderResult> {
  const shares = Array.from({ length: processes }, (_, i) => Math.floor(streams / processes) + (i < streams % processes ? 1 : 0));
  const children = shares.map((share) => {
    const child = spawn(process.execPath, [SELF, "bare-reader", url, String(share), String(tokens), String(rampMs)], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (data: Buffer) => {
        out += data.toString();
        if (out.startsWith("ready\n")) resolve();
      });
      child.on("exit", () => reject(new Error(`bench reader exited before it was ready: ${out}`)));
    });
    const done = new Promise<ReaderResult>((resolve, reject) => {
      child.on("exit", () => {
        try {
          resolve(JSON.parse(out.slice("ready\n".length)) as ReaderResult);
        } catch {
          reject(new Error(`bench reader exited without a result: ${out}`));
        }
      });
    });
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
  } catch (err) {
    for (const { child } of children) child.kill();
    throw err;
  }
  await beforeStart();
  for (const { child } of children) child.stdin!.end("go\n");
  const results = await Promise.all(children.map((c) => c.done));
  return results.reduce(
    (sum, r) => ({
      completed: sum.completed + r.completed,
      resets: sum.resets + r.resets,
      failed: sum.failed + r.failed,
      firstStartAt: Math.min(sum.firstStartAt, r.firstStartAt),
      lastStartAt: Math.max(sum.lastStartAt, r.lastStartAt),
    }),
    { completed: 0, resets: 0, failed: 0, firstStartAt: Infinity, lastStartAt: 0 },
  );
}

/** The emulator's /stats (lateness and tokens sent), or POST /stats/reset with `reset`. */
export async function emulatorStats(url: string, reset = false): Promise<{ lateness: LatencySummary; tokensSent: number }> {
  const response = await fetch(`${url}/stats${reset ? "/reset" : ""}`, reset ? { method: "POST", body: "{}" } : undefined);
  return (await response.json()) as { lateness: LatencySummary; tokensSent: number };
}

/** One measured round of bare readers against an emulator: what the readers saw, and the emulator's figures for the round. */
interface ReaderTrial {
  result: ReaderResult;
  lateness: LatencySummary;
  cpuUsPerToken: number;
  /** The kernel's part of cpuUsPerToken (the token's write, and on loopback the reader's receive). */
  systemUsPerToken: number;
}

/**
 * `streams` streams of `tokens` tokens read by `processes` bare readers (started over 1 s); the
 * emulator's stats are reset and its CPU (all its processes) read as the measured streams start.
 */
async function readerTrial(emulator: EmulatorProcess, processes: number, streams: number, tokens: number): Promise<ReaderTrial> {
  let before = { userS: 0, systemS: 0 };
  const result = await readers(emulator.url, processes, streams, tokens, 1000, async () => {
    await emulatorStats(emulator.url, true);
    before = processTreeCpu(emulator.child.pid!);
  });
  const after = processTreeCpu(emulator.child.pid!);
  const { lateness, tokensSent } = await emulatorStats(emulator.url);
  const perToken = (seconds: number): number => (seconds / tokensSent) * 1e6;
  return {
    result,
    lateness,
    cpuUsPerToken: perToken(after.userS - before.userS + after.systemS - before.systemS),
    systemUsPerToken: perToken(after.systemS - before.systemS),
  };
}

/**
 * The emulator's CPU per token with a bare reader as its client (one process, at the lowest
 * priority, reading each socket every 250 ms, connections warmed first): what the emulator itself
 * spends, with the client's per-token reads and wake-ups off its cores and out of its kernel time.
 * `cli` measures another build's emulator instead (the before/after pair).
 */
export async function emulatorCpuBareReaders(rows: Row[], streams: number, tokens: number, cli?: string, label = ""): Promise<void> {
  const emulator = await spawnEmulator(["--ttft-ms", "20", "--itl-ms", "20"], cli);
  try {
    const { result, lateness, cpuUsPerToken, systemUsPerToken } = await readerTrial(emulator, 1, streams, tokens);
    const failures = result.resets + result.failed === 0 ? "" : `, ${result.resets} reset, ${result.failed} failed`;
    rows.push([
      `emulator${label}: CPU-microseconds per token sent, ${streams} streams @ 20 ms, bare reader (system part; timing error mean / p99 ms)`,
      `${cpuUsPerToken.toFixed(1)} (${systemUsPerToken.toFixed(1)}; ${lateness.mean.toFixed(3)} / ${lateness.p99.toFixed(3)}${failures})`,
      "<= half of 1312c0f's",
    ]);
  } finally {
    await emulator.stop();
  }
}

function numbersFromEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(",").map(Number) : fallback;
}

/**
 * `emulate --workers W` at a 20 ms cadence: for each fleet size, stream counts in increasing order
 * until mean lateness passes 5 ms; the most streams held under 1 ms mean (in two of up to three
 * trials, every stream open at once; that count and every smaller one tried), and the ratio between
 * sizes. Each trial also gives the emulator's CPU per token (all its processes).
 * TOKENSTORM_FLEET_WORKERS, _STREAMS, _READERS and _TOKENS change the plan (the 16-core run uses them).
 */
export async function fleetCapacity(rows: Row[]): Promise<void> {
  const sizes = numbersFromEnv("TOKENSTORM_FLEET_WORKERS", [1, 2]);
  const counts = numbersFromEnv("TOKENSTORM_FLEET_STREAMS", [500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000]);
  const readerProcesses = numbersFromEnv("TOKENSTORM_FLEET_READERS", [2])[0]!;
  const tokens = numbersFromEnv("TOKENSTORM_FLEET_TOKENS", [100])[0]!;
  /** How long a stream lasts at the least: its first token after 20 ms, then one every 20 ms. */
  const streamMs = 20 * tokens;
  const held = new Map<number, number>();
  for (const workers of sizes) {
    const emulator = await spawnEmulator(["--workers", String(workers), "--ttft-ms", "20", "--itl-ms", "20"]);
    try {
      held.set(workers, 0);
      let failedOnce = false;
      for (const streams of counts) {
        // Up to three trials: a count is held when two of them pass, so that one stall of the
        // machine (a 30 ms pause shows in the mean) neither makes nor breaks a figure.
        const trials: { lateness: LatencySummary; cpuUsPerToken: number; passed: boolean; note: string }[] = [];
        while (trials.length < 3 && trials.filter((t) => t.passed).length < 2 && trials.filter((t) => !t.passed).length < 2) {
          const { result, lateness, cpuUsPerToken } = await readerTrial(emulator, readerProcesses, streams, tokens);
          // Every stream was open at once only if the last started before the first could end.
          const spreadMs = result.lastStartAt - result.firstStartAt;
          const together = spreadMs < streamMs;
          const failures = result.resets + result.failed === 0 ? "" : `, ${result.resets} reset, ${result.failed} failed`;
          const note = `${failures}${together ? "" : `, starts spread over ${spreadMs.toFixed(0)} ms: not all open at once`}`;
          trials.push({ lateness, cpuUsPerToken, passed: lateness.mean < HELD_MEAN_MS && failures === "" && together, note });
        }
        const passed = trials.filter((t) => t.passed).length >= 2;
        const median = [...trials].sort((a, b) => a.lateness.mean - b.lateness.mean)[trials.length >> 1]!.lateness;
        const each = trials.map((t) => `${t.lateness.mean.toFixed(3)} / ${t.lateness.p99.toFixed(3)} / ${t.cpuUsPerToken.toFixed(1)}${t.note}`).join("; ");
        rows.push([`emulator --workers ${workers}: lateness mean / p99 (ms) / CPU-us per token, ${streams} streams @ 20 ms, bare readers, each trial`, `${each} (${passed ? "held" : "not held"})`, "mean < 1"]);
        // Held: this count and every smaller one tried; the rows go on until lateness passes 5 ms.
        if (passed && !failedOnce) held.set(workers, streams);
        if (!passed) failedOnce = true;
        if (median.mean > 5) break;
      }
    } finally {
      await emulator.stop();
    }
  }
  const one = held.get(1);
  for (const [workers, streams] of held) {
    if (workers === 1) continue;
    const ratio = one === undefined ? "1 worker not measured" : one === 0 ? "1 worker held none of the counts tried" : `x${(streams / one).toFixed(2)} of 1 worker's ${one}`;
    rows.push([`emulator --workers ${workers}: streams held @ 20 ms with mean lateness < 1 ms`, `${streams} (${ratio})`, ">= x1.6 (2-core)"]);
  }
  if (one !== undefined) rows.push(["emulator --workers 1: streams held @ 20 ms with mean lateness < 1 ms", String(one), "-"]);
}

/** TOKENSTORM_CONNECTIONS connections at once (default 2,000 here) through `tokenstorm run --workers`, two cycles each. */
export async function connectionsHeld(rows: Row[]): Promise<void> {
  const connections = numbersFromEnv("TOKENSTORM_CONNECTIONS", [2000])[0]!;
  const emulatorWorkers = numbersFromEnv("TOKENSTORM_FLEET_WORKERS", [2]).at(-1)!;
  const clientWorkers = numbersFromEnv("TOKENSTORM_FLEET_READERS", [2])[0]!;
  const emulator = await spawnEmulator(["--workers", String(emulatorWorkers), "--ttft-ms", "20", "--itl-ms", "20"]);
  const folder = mkdtempSync(join(tmpdir(), "tokenstorm-bench-"));
  try {
    const out = join(folder, "connections.json");
    const args = ["run", "--target", emulator.url, "--workers", String(clientWorkers), "--clients", String(connections), "--max-concurrent", String(connections), "--cycles", "2", "--length", "50", "--quiet", "--no-save", "--out", out];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "inherit"] });
    await new Promise((resolve) => child.on("exit", resolve));
    const report = JSON.parse(readFileSync(out, "utf8")) as { summary: { requests: number; failed: number }; errors: Record<string, number> };
    const errors = Object.entries(report.errors).map(([name, count]) => `${name} ${count}`).join(", ") || "none";
    rows.push([`connections: ${connections} at once x 2 cycles, emulate --workers ${emulatorWorkers}, run --workers ${clientWorkers}`, `${report.summary.requests} requests, ${report.summary.failed} failed (${errors})`, "0 reset"]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await emulator.stop();
  }
}

/** Preloaded into a measured CLI process: its whole-process CPU and peak RSS (all threads), written at exit. */
const USAGE_PROBE = 'import{writeFileSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();writeFileSync(process.env.TOKENSTORM_USAGE_OUT,JSON.stringify({cpuS:(u.userCPUTime+u.systemCPUTime)/1e6,maxRssKb:u.maxRSS}))})';

async function processCost(args: string[]): Promise<{ cpuS: number; maxRssKb: number }> {
  const folder = mkdtempSync(join(tmpdir(), "tokenstorm-bench-"));
  try {
    const out = join(folder, "usage.json");
    const child = spawn(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(USAGE_PROBE)}`, CLI, ...args], {
      cwd: folder,
      env: { ...process.env, TOKENSTORM_USAGE_OUT: out },
      stdio: ["ignore", "ignore", "inherit"],
    });
    await new Promise((resolve) => child.on("exit", resolve));
    return JSON.parse(readFileSync(out, "utf8")) as { cpuS: number; maxRssKb: number };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Start-up weight: the median of three runs of each. */
export async function startupCost(rows: Row[]): Promise<void> {
  const median = async (args: string[]): Promise<{ cpuS: number; maxRssKb: number }> => {
    const runs = [await processCost(args), await processCost(args), await processCost(args)];
    const middle = <T>(values: T[], key: (v: T) => number): number => values.map(key).sort((a, b) => a - b)[1]!;
    return { cpuS: middle(runs, (r) => r.cpuS), maxRssKb: middle(runs, (r) => r.maxRssKb) };
  };
  const version = await median(["--version"]);
  rows.push(["start-up: tokenstorm --version, CPU-s / peak RSS (MB)", `${version.cpuS.toFixed(2)} / ${(version.maxRssKb / 1024).toFixed(0)}`, "< 0.3 / -"]);
  const oneRequest = await median(["run", "--clients", "1", "--cycles", "1", "--length", "10", "--quiet", "--no-save"]);
  rows.push(["start-up: one-request tokenstorm run (embedded emulator), CPU-s / peak RSS (MB)", `${oneRequest.cpuS.toFixed(2)} / ${(oneRequest.maxRssKb / 1024).toFixed(0)}`, "< 0.8 / < 80"]);
}
