// Bench sections for the emulator at fleet scale and for start-up weight:
// - a bare socket reader (child processes of this script) that costs little per token, so the
//   emulator, not the client, is what a stream count measures;
// - `emulate --workers W` against it: mean / p99 lateness per stream count, and the most streams at
//   a 20 ms cadence each fleet size holds with mean lateness under 1 ms;
// - connections held at once through `tokenstorm run --workers`, resets counted;
// - whole-process CPU and peak RSS of a one-request `tokenstorm run` and of `--version`.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnEmulator } from "../src/emulator/process.js";
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
}

/** Child mode: `streams` raw HTTP streams on connections of their own, started over `rampMs`; prints a ReaderResult. */
export async function bareReader(url: string, streams: number, tokens: number, rampMs: number): Promise<void> {
  const target = new URL(url);
  const body = JSON.stringify({ model: "bench", prompt: "bench", stream: true, max_tokens: tokens });
  const request = `POST /v1/completions HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  const result: ReaderResult = { completed: 0, resets: 0, failed: 0 };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const delayMs = start + (rampMs * i) / streams - performance.now();
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await new Promise<void>((resolve) => {
        const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
        let tail = "";
        let settled = false;
        const settle = (outcome: keyof ReaderResult): void => {
          if (settled) return;
          settled = true;
          result[outcome]++;
          socket.destroy();
          resolve();
        };
        socket.on("connect", () => socket.write(request));
        // Only the last bytes are looked at: the chunked body ends with "0\r\n\r\n".
        socket.on("data", (data: Buffer) => {
          tail = (tail + data.toString("latin1", Math.max(0, data.length - 5))).slice(-5);
          if (tail === "0\r\n\r\n") settle("completed");
        });
        socket.on("error", (err: NodeJS.ErrnoException) => settle(err.code === "ECONNRESET" ? "resets" : "failed"));
        socket.on("close", () => settle("failed"));
      });
    }),
  );
  process.stdout.write(JSON.stringify(result));
}

async function readers(url: string, processes: number, streams: number, tokens: number, rampMs: number): Promise<ReaderResult> {
  const shares = Array.from({ length: processes }, (_, i) => Math.floor(streams / processes) + (i < streams % processes ? 1 : 0));
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise<ReaderResult>((resolve, reject) => {
          const child = spawn(process.execPath, [SELF, "bare-reader", url, String(share), String(tokens), String(rampMs)], { stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          child.stdout!.on("data", (data: Buffer) => (out += data.toString()));
          child.on("exit", () => {
            try {
              resolve(JSON.parse(out) as ReaderResult);
            } catch {
              reject(new Error(`bench reader exited without a result: ${out}`));
            }
          });
        }),
    ),
  );
  return results.reduce((sum, r) => ({ completed: sum.completed + r.completed, resets: sum.resets + r.resets, failed: sum.failed + r.failed }), { completed: 0, resets: 0, failed: 0 });
}

async function emulatorLateness(url: string, reset: boolean): Promise<LatencySummary> {
  const response = await fetch(`${url}/stats${reset ? "/reset" : ""}`, reset ? { method: "POST", body: "{}" } : undefined);
  return ((await response.json()) as { lateness: LatencySummary }).lateness;
}

function numbersFromEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(",").map(Number) : fallback;
}

/**
 * `emulate --workers W` at a 20 ms cadence: for each fleet size, stream counts in increasing order
 * until mean lateness passes 5 ms; the most streams held under 1 ms mean, and the ratio between sizes.
 * TOKENSTORM_FLEET_WORKERS, _STREAMS, _READERS and _TOKENS change the plan (the 16-core run uses them).
 */
export async function fleetCapacity(rows: Row[]): Promise<void> {
  const sizes = numbersFromEnv("TOKENSTORM_FLEET_WORKERS", [1, 2]);
  const counts = numbersFromEnv("TOKENSTORM_FLEET_STREAMS", [500, 1000, 1500, 2000, 3000, 4000]);
  const readerProcesses = numbersFromEnv("TOKENSTORM_FLEET_READERS", [2])[0]!;
  const tokens = numbersFromEnv("TOKENSTORM_FLEET_TOKENS", [100])[0]!;
  const held = new Map<number, number>();
  for (const workers of sizes) {
    const emulator = await spawnEmulator(["--workers", String(workers), "--ttft-ms", "20", "--itl-ms", "20"]);
    try {
      held.set(workers, 0);
      for (const streams of counts) {
        await emulatorLateness(emulator.url, true);
        const result = await readers(emulator.url, readerProcesses, streams, tokens, 1000);
        const lateness = await emulatorLateness(emulator.url, false);
        const failures = `${result.resets} reset, ${result.failed} failed`;
        rows.push([`emulator --workers ${workers}: lateness mean / p99 (ms), ${streams} streams @ 20 ms, bare readers`, `${lateness.mean.toFixed(3)} / ${lateness.p99.toFixed(3)} (${failures})`, "mean < 1"]);
        if (lateness.mean < HELD_MEAN_MS && result.resets + result.failed === 0) held.set(workers, streams);
        if (lateness.mean > 5) break;
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
