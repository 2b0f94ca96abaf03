// `npm run bench`: the project's own speed and accuracy figures on this machine, printed as a table
// and written to bench/RESULTS.md. The emulator runs in a child process so that client CPU time is
// measured alone; all traffic stays on 127.0.0.1 and every scenario is bounded in time.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { nowMs } from "../src/clock.js";
import { Collector } from "../src/metrics/collector.js";
import { findProtocol } from "../src/protocols/registry.js";
import type { DriverOptions } from "../src/protocols/types.js";
import type { LatencySummary } from "../src/metrics/histogram.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));

interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [CLI, "emulate", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function options(url: string, maxConnections: number): DriverOptions {
  return {
    target: new URL(url),
    model: "bench",
    headers: {},
    timeoutMs: 120_000,
    idleTimeoutMs: 60_000,
    connectTimeoutMs: 10_000,
    maxConnections,
    includeUsage: true,
    exactTokens: true,
    onConnect: () => undefined,
  };
}

interface StreamsResult {
  tokens: number;
  failed: number;
  cpuS: number;
  wallS: number;
  ttft: LatencySummary;
  itl: LatencySummary;
  peakRssPerStreamKb: number;
}

/** Open `streams` concurrent streams of `tokens` tokens each, measuring client CPU and memory. */
async function runStreams(url: string, protocolName: string, streams: number, tokens: number): Promise<StreamsResult> {
  const collector = new Collector();
  const driver = findProtocol(protocolName).create(options(url, streams));
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const trace = collector.begin("bench", i, 0);
      await driver.execute({ type: "bench", prompt: "benchmark prompt", maxTokens: tokens }, trace);
      collector.finish(trace);
    }),
  );
  const wallS = (nowMs() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await driver.close();
  return {
    tokens: collector.overall.tokens,
    failed: collector.overall.failed,
    cpuS: (cpu.user + cpu.system) / 1e6,
    wallS,
    ttft: collector.overall.latency.ttft.summary(),
    itl: collector.overall.latency.itl.summary(),
    peakRssPerStreamKb: (peakRss - rssBefore) / 1024 / streams,
  };
}

async function emulatorStats(url: string): Promise<{ lateness: LatencySummary; tokensSent: number }> {
  const response = await fetch(`${url}/stats`);
  return (await response.json()) as { lateness: LatencySummary; tokensSent: number };
}

type Row = [string, string, string];

async function clientCost(rows: Row[]): Promise<void> {
  // Tokens as fast as the emulator can write them: many SSE events per TCP read.
  const burst = await startEmulatorProcess(["--ttft-ms", "0", "--itl-ms", "0"]);
  try {
    await runStreams(burst.url, "openai-chat", 20, 200); // warm-up (JIT, connections)
    const r = await runStreams(burst.url, "openai-chat", 100, 5000);
    rows.push(["client: SSE tokens parsed per CPU-second (100 streams, unpaced)", (r.tokens / r.cpuS).toFixed(0), ">= 300000"]);
    rows.push(["client: CPU-seconds per million tokens (unpaced)", ((r.cpuS / r.tokens) * 1e6).toFixed(2), "<= 3.33"]);
  } finally {
    await burst.stop();
  }
  // Paced streams: one SSE event per TCP read, the realistic worst case for per-chunk overhead.
  const paced = await startEmulatorProcess(["--ttft-ms", "100", "--itl-ms", "20"]);
  try {
    const r = await runStreams(paced.url, "openai-chat", 1000, 150);
    rows.push(["client: SSE tokens per CPU-second (1k streams @ 20 ms)", (r.tokens / r.cpuS).toFixed(0), ">= 300000"]);
    rows.push(["client: CPU-seconds per million tokens (1k streams @ 20 ms)", ((r.cpuS / r.tokens) * 1e6).toFixed(2), "<= 3.33"]);
    rows.push(["client: peak memory per open stream (KB, RSS)", r.peakRssPerStreamKb.toFixed(1), "< 30"]);
  } finally {
    await paced.stop();
  }
}

async function accuracy(rows: Row[]): Promise<void> {
  const emulator = await startEmulatorProcess(["--ttft-ms", "150", "--itl-ms", "20"]);
  try {
    const r = await runStreams(emulator.url, "openai-chat", 1000, 100);
    const stats = await emulatorStats(emulator.url);
    rows.push(["accuracy @1k streams: ttft p50 error (ms, vs 150)", (r.ttft.p50 - 150).toFixed(3), "|x| <= 0.5"]);
    rows.push(["accuracy @1k streams: ttft p99 error (ms, vs 150)", (r.ttft.p99 - 150).toFixed(3), "|x| <= 2"]);
    rows.push(["accuracy @1k streams: itl p50 error (ms, vs 20)", (r.itl.p50 - 20).toFixed(3), "|x| <= 0.5"]);
    rows.push(["accuracy @1k streams: itl p99 error (ms, vs 20)", (r.itl.p99 - 20).toFixed(3), "|x| <= 2"]);
    rows.push(["accuracy @1k streams: emulator lateness mean / p99 (ms)", `${stats.lateness.mean.toFixed(3)} / ${stats.lateness.p99.toFixed(3)}`, "ground-truth drift"]);
    rows.push(["accuracy @1k streams: failed requests", String(r.failed), "0"]);
  } finally {
    await emulator.stop();
  }
}

async function emulatorLateness(rows: Row[], streams: number): Promise<void> {
  const emulator = await startEmulatorProcess(["--ttft-ms", "20", "--itl-ms", "20"]);
  try {
    const r = await runStreams(emulator.url, "openai-chat", streams, 250);
    const stats = await emulatorStats(emulator.url);
    rows.push([`emulator: lateness mean (ms), ${streams} streams @ 20 ms`, stats.lateness.mean.toFixed(3), "< 1"]);
    rows.push([`emulator: lateness p99 (ms), ${streams} streams @ 20 ms`, stats.lateness.p99.toFixed(3), "-"]);
    rows.push([`emulator: tokens/s sent, ${streams} streams`, (stats.tokensSent / r.wallS).toFixed(0), "-"]);
  } finally {
    await emulator.stop();
  }
}

function table(rows: Row[]): string {
  const header: Row = ["figure", "measured", "goal"];
  const widths = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: Row): string => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const only = process.argv[2];
  if (!only || only === "client") await clientCost(rows);
  if (!only || only === "accuracy") await accuracy(rows);
  if (!only || only === "emulator") {
    await emulatorLateness(rows, 1000);
    await emulatorLateness(rows, 5000);
  }
  const text = table(rows);
  console.log(text);
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
  if (!only) {
    writeFileSync(
      RESULTS,
      `# Benchmark results\n\nLast \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}).\n` +
        "Client and emulator run in separate processes on 127.0.0.1; client CPU is the client process's user+system time.\n\n" +
        `${text}\n`,
    );
  }
}

await main();
