// `npm run bench`: the project's own speed and accuracy figures on this machine, printed as a table
// and written to bench/RESULTS.md. The emulator runs in a child process so that client CPU time is
// measured alone; all traffic stays on 127.0.0.1 and every scenario is bounded in time.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nowMs } from "../src/clock.js";
import { spawnEmulator, spawnListening } from "../src/emulator/process.js";
import { bareReader, connectionsHeld, emulatorCpuBareReaders, emulatorStats, fleetCapacity, readers, wheelSleepCost, processTreeCpuS, startupCost, writeFloor, writeSink } from "./fleet.js";
import { Collector } from "../src/metrics/collector.js";
import { findProtocol } from "../src/protocols/registry.js";
import type { DriverOptions, ProtocolDriver } from "../src/protocols/types.js";
import type { LatencySummary } from "../src/metrics/histogram.js";

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));

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
}

interface StreamsPlan {
  streams: number;
  tokens: number;
  /** Stream starts are spread evenly over this long, so cadences are not all in phase. */
  rampMs: number;
  /** First open every connection with a one-token request, then reset the emulator's stats. */
  warmConnections: boolean;
  /** Called as the measured round starts (after the warm-up round). */
  onMeasuredStart?: () => void;
}

/**
 * `streams` requests of `tokens` tokens through `driver` into `collector`, their starts spread evenly
 * over `rampMs` (all at once with 0); resolves when every stream has ended.
 */
async function driverRound(driver: ProtocolDriver, collector: Collector, streams: number, tokens: number, rampMs = 0): Promise<void> {
  const start = nowMs();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const delayMs = start + (rampMs * i) / streams - nowMs();
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const trace = collector.begin("bench", i, 0);
      await driver.execute({ type: "bench", prompt: "benchmark prompt", maxTokens: tokens }, trace);
      collector.finish(trace);
    }),
  );
}

/** Run `plan.streams` concurrent streams against `url`, measuring this process's CPU time. */
async function runStreams(url: string, protocolName: string, plan: StreamsPlan): Promise<StreamsResult> {
  const driver = findProtocol(protocolName).create(options(url, plan.streams));
  const round = (collector: Collector, tokens: number, rampMs: number): Promise<void> => driverRound(driver, collector, plan.streams, tokens, rampMs);
  if (plan.warmConnections) {
    await round(new Collector(), 1, 0);
    await emulatorStats(url, true);
  }
  const collector = new Collector();
  plan.onMeasuredStart?.();
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  await round(collector, plan.tokens, plan.rampMs);
  const wallS = (nowMs() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await driver.close();
  return {
    tokens: collector.overall.tokens,
    failed: collector.overall.failed,
    cpuS: (cpu.user + cpu.system) / 1e6,
    wallS,
    ttft: collector.overall.latency.ttft.summary(),
    itl: collector.overall.latency.itl.summary(),
  };
}

/**
 * Memory per open stream, in a process of its own so that nothing else has grown its heap: open
 * `streams` streams that stay open (a long TTFT), then compare RSS with the idle baseline.
 */
async function memoryChild(url: string, streams: number): Promise<void> {
  const driver = findProtocol("openai-chat").create(options(url, streams));
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const collector = new Collector();
  const running = Array.from({ length: streams }, async (_, i) => {
    const trace = collector.begin("bench", i, 0);
    await driver.execute({ type: "bench", prompt: "benchmark prompt", maxTokens: 5 }, trace);
  });
  // The emulator holds every first token for 3 s: measure while all streams are open.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  globalThis.gc?.();
  const open = process.memoryUsage().rss;
  await Promise.all(running);
  await driver.close();
  process.stdout.write(JSON.stringify({ perStreamKb: (open - before) / 1024 / streams }));
}

async function memoryPerStream(streams: number): Promise<number> {
  const emulator = await spawnEmulator(["--ttft-ms", "3000", "--itl-ms", "1"]);
  try {
    const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "memory-child", emulator.url, String(streams)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on("exit", resolve));
    return (JSON.parse(out) as { perStreamKb: number }).perStreamKb;
  } finally {
    await emulator.stop();
  }
}

type Row = [string, string, string];

const READING = `## Reading the figures

- These figures depend on the machine: the same code on an earlier, busier 2-vCPU VM of the same
  kind parsed about 400k unpaced tokens per CPU-second (about 1M on the KVM VM of 2026-12-06) and
  woke idle processes several times slower. The table above is from 2026-12-07's Firecracker VM,
  slower per token, whose host took a growing share of its CPU away (steal) as the session's load
  went on: rows measured minutes apart read up to 2x apart there (the 2026-12-07 section below has
  sectional runs of the same code, and the two full runs of that hour read alike). Client rows changed within the day when the HTTP driver got its own
  connection pool (a connection reused the moment its response ends): 5,000 unpaced streams went from
  about 400k to 680k tokens per CPU-second, paced reads from 45-53k to 66k. Compare rows within one table, not across machines.
- Parsing cost is met on the KVM and Intel VMs: with many SSE events per TCP read the client parses
  0.6-1.1M tokens per CPU-second at every stream count (a fast path reads repeated token payloads
  without JSON.parse); on the Firecracker VM about 450k at 100 and 1,000 streams and under 300k at 5,000. At 5,000 streams of 100
  tokens the per-request share (connection, headers, request record) weighs more. With one event per read
  (paced streams), the cost per token is the socket read itself (libuv, Node streams, undici's parser,
  the kernel).
- Memory per open stream is RSS growth divided by streams: at 1,000 streams the fixed part (heap
  growth steps, connection pool) is spread over fewer streams than at 5,000, so the 1,000-stream row
  reads near 30 KB (25-34 KB in runs today) while the 5,000-stream row shows the marginal cost.
- ITL is measured to within hundredths of a millisecond at moderate load. TTFT carries the time an idle
  process takes to wake on these VMs (a loopback round trip is about 50 us after 2 ms of idleness but
  about 350 us after 150 ms), once in the emulator when the request arrives and once in the client when
  the first token does: real latency seen by the client, not a measurement error. The p99 rows include
  each run's first requests, whose connections are accepted in a burst, and miss the 2 ms goal (TTFT
  p99 4-32 ms over the day's runs at 1,000 streams, ITL p99 2.2-4.3 ms): on two cores shared with a polling emulator
  a stream's chunk sometimes waits for the other streams' work.
- At 5,000 streams at 20 ms the offered rate is 250,000 token writes per second, each its own TCP send
  on the emulator side (a CPU profile puts about 45% of the emulator's time in the writev system call,
  about 11 us per token here) and its own read on the client side. That is more than two cores
  shared by the client and the emulator can move; the emulator then falls behind (its timing error
  grows) and the row measures that overload, not the timing method. On the KVM VMs the wheel keeps
  its mean timing error well under 1 ms up to 1,000 streams; on the Firecracker VM, where one token's
  write alone costs 15-17 us of CPU, one emulator process holds about 500 streams and the 1,000-stream
  rows (emulator and accuracy) measure overload. "tokens/s sent" divides by the whole run, including
  the 1 s ramp and the tail, so it reads below the offered rate even when no token is late.
- Distributed rows: the same run by one process and by \`--workers 2\` (two worker processes and a
  parent) against an emulator in its own process; totals are identical (no token lost, none failed).
  Unpaced, where the client's parsing is the limit, the second worker raises the achievable rate
  (in six runs today 1.17-1.31M tokens/s with one worker, 1.33-1.69M with two; the emulator shares
  the two cores, so the gain is well under 2x).
  Paced at 1,000 streams the emulator's writes are the limit and the two are about level. On an
  earlier, busier VM of this kind the unpaced rows went the other way (636k vs 568k): with the target
  on the same two cores the gain depends on how much CPU the emulator leaves free.
- Soak rows: \`tokenstorm run\` (open model, 440 arrivals/s of 30 tokens at 20 ms, about 300 streams
  open, raw and CSV lines streamed to /dev/null) against \`tokenstorm emulate\`, each in its own
  process. Every 2 s a preloaded probe forces a full GC and reports the live heap; RSS comes from
  /proc. Flat means the Theil-Sen slope over the second half within +-64 KB/min (under 4 MB an hour,
  about 3% of the client's RSS). The full bench runs 60 s, which ends inside warm-up (V8 sizing its
  heap; undici's per-connection request queue grows to 257 slots, about 2 KB a connection, before it
  compacts, some 3 minutes at this load), so its rows are not judged: run
  \`TOKENSTORM_SOAK_S=3600 npm run bench soak\` for the hour. The hour on 2026-11-26 (1,584,000
  requests, 0 failed, 0 dropped, other helpers' tests sharing the machine): client RSS +43.6 KB/min
  (143 -> 146 MB), client live heap +14.8 KB/min (27.1 MB), emulator RSS 0.0 and live heap +0.5
  KB/min (128 MB, 24.3 MB). What the client keeps by design is one timeline point per second for the
  report, about 270 bytes (16 KB/min, 1 MB an hour): the heap slope; RSS follows V8's reserved heap
  (+38.6 KB/min), not Buffers (external memory flat). Segment runs (\`--workers\`, \`--segment\`) also
  keep each second's encoded histograms for the merge, 0.4-4 KB a second: they now wait in a
  temporary file and come back once for the report. A 20-minute soak the same day read +103 KB/min
  client RSS and +21 KB/min live heap: 20 minutes is too short to judge RSS, which grows in steps of
  whole V8 pages.
- Client parse rates of 2026-12-05 read below those of 2026-11-26 because the machine is slower, not
  the code: the client section of 1312c0f and of main, built side by side and run alternately within
  one hour (\`node --expose-gc dist/bench/run.js client\`), read 752k/815k/508k and 721k/755k/490k
  tokens per CPU-second (100/1,000/5,000 streams) for 1312c0f, 779k/752k/518k and 863k/780k/570k for
  main: no regression.
- Proxy rows: 100 streams x 500 tokens at 20 ms against one emulator process, once direct and once
  through \`tokenstorm proxy\` in its own process; the client measures both, and CPU is the proxy's
  \`process_cpu_seconds_total\` over the measured round. A chunk through the proxy arrives with the gap
  it left the emulator with (added ITL p50 0.000, -0.016 and -0.016 ms in three runs on 2026-12-05,
  p99 -0.4 to +2.0 ms); the first token pays the extra hop (a second loopback connection and the
  request forwarded): TTFT p50 +1.3 to +1.8 ms. The proxy costs 43-54 us of CPU per chunk (a quarter
  of a core at this load's 5,000 chunks/s), a third of it in the \`writev\` that sends each chunk on. At
  load average 17-19 from other work (2026-12-04) it got a tenth of a core and fell behind (TTFT +180
  to +310 ms): it needs its quarter of a core.
- Emulator CPU rows are the emulator process's user+system time over the measured round (ramp-up and
  ramp-down included) divided by the tokens it sent. The plain rows have this bench's own HTTP client
  as the reader: on loopback the kernel charges the reader's wake-up to the writer, so those rows
  carry part of the client's cost. The "bare reader" rows read the same streams with one niced bare
  socket reader that reads each socket every 250 ms: the emulator's own cost; the first figure in
  their brackets is its system (kernel) part, mostly the token's write, which does not depend on the
  emulator's code. 1312c0f polls a whole core through the last 2 ms before each firing, so its figure
  is about one core over the token rate whatever the client; this build sleeps, and its figure moves
  with the machine from minute to minute (12-16 us at 1,000 streams on the same day) while 1312c0f's
  stays within 1%.
- The loopback floor row is one socket write of one token's chunk per socket, round-robin over 1,000
  sockets, and nothing else: what every emulated token costs at the least, most of it in the kernel.
  The wheel sleep rows are what one of the wheel's short sleeps costs (a context switch and a timer):
  at a given token rate, fewer and longer sleeps cost less CPU and add timing error.
- Fleet rows (\`emulate --workers N\`, streams read by bare socket readers in bench/ so that the client
  costs little: nice 19, connections opened and warmed before the measured streams, each socket read
  every 250 ms): a count is held when two of up to three trials read mean lateness under 1 ms with
  every stream open at once. On two cores the readers and the emulator workers share the same cores,
  and a worker with half the streams spends more CPU per token (the trials' third figure), so the
  x1.6 goal is at the edge there: on the AMD EPYC VM of 2026-12-06 runs within one hour read between
  x1.25 and x2.00 (in the late evening x1.20, and x1.75 in its full run, where one worker held
  only 1,000); on the Intel Xeon VM of that evening x1.25-2.00 in six runs; on the Firecracker VM of
  2026-12-07 x1.75 (875 vs 500) in the sectional run of 01:04, while in the full runs of 01:53 and
  02:03, with the host taking more of the VM's CPU, two workers held none at 500 streams and up (the
  second time one worker held none either).`;

async function clientCost(rows: Row[]): Promise<void> {
  // Tokens as fast as the emulator can write them: many SSE events per TCP read, so this is the
  // cost of receiving and parsing events.
  const burst = await spawnEmulator(["--ttft-ms", "0", "--itl-ms", "0"]);
  try {
    for (const [streams, tokens] of [
      [100, 5000],
      [1000, 500],
      [5000, 100],
    ] as const) {
      const r = await runStreams(burst.url, "openai-chat", { streams, tokens, rampMs: 0, warmConnections: true });
      rows.push([`client: SSE tokens parsed per CPU-second (${streams} streams, unpaced)`, (r.tokens / r.cpuS).toFixed(0), ">= 300000"]);
      rows.push([`client: CPU-seconds per million tokens (${streams} streams, unpaced)`, ((r.cpuS / r.tokens) * 1e6).toFixed(2), "<= 3.33"]);
    }
  } finally {
    await burst.stop();
  }
  // Paced streams: one SSE event per TCP read, where the per-read cost of the socket dominates.
  const paced = await spawnEmulator(["--ttft-ms", "100", "--itl-ms", "20"]);
  try {
    const r = await runStreams(paced.url, "openai-chat", { streams: 250, tokens: 150, rampMs: 1000, warmConnections: true });
    rows.push(["client: SSE tokens per CPU-second (250 streams @ 20 ms, 1 event per read)", (r.tokens / r.cpuS).toFixed(0), "-"]);
  } finally {
    await paced.stop();
  }
  for (const streams of [1000, 5000]) {
    rows.push([`client: memory per open stream (KB, RSS, ${streams} streams)`, (await memoryPerStream(streams)).toFixed(1), "< 30"]);
  }
}

async function accuracy(rows: Row[], streams: number): Promise<void> {
  const emulator = await spawnEmulator(["--ttft-ms", "150", "--itl-ms", "20"]);
  try {
    const r = await runStreams(emulator.url, "openai-chat", { streams, tokens: 100, rampMs: 1000, warmConnections: true });
    const stats = await emulatorStats(emulator.url);
    const at = `@${streams} streams`;
    rows.push([`accuracy ${at}: ttft p50 / p99 error (ms, vs 150)`, `${(r.ttft.p50 - 150).toFixed(3)} / ${(r.ttft.p99 - 150).toFixed(3)}`, "0.5 / 2"]);
    rows.push([`accuracy ${at}: itl p50 / p99 error (ms, vs 20)`, `${(r.itl.p50 - 20).toFixed(3)} / ${(r.itl.p99 - 20).toFixed(3)}`, "0.5 / 2"]);
    rows.push([`accuracy ${at}: emulator timing error mean / p99 (ms)`, `${stats.lateness.mean.toFixed(3)} / ${stats.lateness.p99.toFixed(3)}`, "-"]);
    rows.push([`accuracy ${at}: failed requests`, String(r.failed), "0"]);
  } finally {
    await emulator.stop();
  }
}

/**
 * Lateness, tokens/s and CPU per token of the emulator at `streams` streams. With
 * TOKENSTORM_BENCH_BASE_CLI (another build's dist/src/cli/main.js), that build's emulator is
 * measured instead, under `label`, for a before/after row pair.
 */
async function emulatorLateness(rows: Row[], streams: number, tokens: number, cli?: string, label = ""): Promise<void> {
  const emulator = await spawnEmulator(["--ttft-ms", "20", "--itl-ms", "20"], cli);
  try {
    let cpuBeforeS = 0;
    const r = await runStreams(emulator.url, "openai-chat", { streams, tokens, rampMs: 1000, warmConnections: true, onMeasuredStart: () => (cpuBeforeS = processTreeCpuS(emulator.child.pid!)) });
    const cpuS = processTreeCpuS(emulator.child.pid!) - cpuBeforeS;
    const stats = await emulatorStats(emulator.url);
    const offered = (streams * 1000) / 20;
    rows.push([`emulator${label}: timing error mean / p99 (ms), ${streams} streams @ 20 ms`, `${stats.lateness.mean.toFixed(3)} / ${stats.lateness.p99.toFixed(3)}`, "mean < 1"]);
    rows.push([`emulator${label}: tokens/s sent, ${streams} streams (offered ${offered})`, (stats.tokensSent / r.wallS).toFixed(0), String(offered)]);
    rows.push([`emulator${label}: CPU-microseconds per token sent, ${streams} streams @ 20 ms`, ((cpuS / stats.tokensSent) * 1e6).toFixed(1), "<= half of 1312c0f's"]);
  } finally {
    await emulator.stop();
  }
}

/**
 * Whether token firing starves new requests: 1,000 requests at once (10 tokens each, connections
 * warmed first) against `emulate --ttft-ms 150`, once with the emulator idle and once while it
 * paces 1,000 other streams at 20 ms (read by a bare reader). TTFT is the bench client's, from the
 * request's write; on two cores both bursts also wait for the emulator to parse 1,000 requests, so
 * what firing costs the burst is the difference between the two rows.
 */
async function burstWhilePacing(rows: Row[]): Promise<void> {
  const burst = 1000;
  const paced = 1000;
  // TOKENSTORM_BENCH_BURST_WORKERS: `emulate --workers` for this section (default 1).
  const workers = process.env["TOKENSTORM_BENCH_BURST_WORKERS"] ?? "1";
  const emulator = await spawnEmulator(["--workers", workers, "--ttft-ms", "150", "--itl-ms", "20"]);
  const driver = findProtocol("openai-chat").create(options(emulator.url, burst));
  const round = async (tokens: number): Promise<Collector> => {
    const collector = new Collector();
    await driverRound(driver, collector, burst, tokens);
    return collector;
  };
  /** The emulator's own mean TTFT since its last reset (arrival to first token, from /metrics), ms. */
  const emulatorTtftMs = async (): Promise<number> => {
    const text = await (await fetch(`${emulator.url}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^vllm:time_to_first_token_seconds_${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    return (value("sum") / value("count")) * 1000;
  };
  const row = async (when: string, collector: Collector, lateness?: LatencySummary): Promise<void> => {
    const ttft = collector.overall.latency.ttft.summary();
    const late = lateness ? `; timing error mean / p99 meanwhile ${lateness.mean.toFixed(3)} / ${lateness.p99.toFixed(3)} ms` : "";
    const own = `emulator's own TTFT mean ${(await emulatorTtftMs()).toFixed(1)}`;
    rows.push([`burst: ${burst} requests at once, TTFT p50 / p99 (ms, emulate --workers ${workers} --ttft-ms 150), ${when}`, `${ttft.p50.toFixed(1)} / ${ttft.p99.toFixed(1)} (${own}; ${collector.overall.failed} failed${late})`, "-"]);
  };
  try {
    await round(1);
    await emulatorStats(emulator.url, true);
    await row("emulator idle", await round(10));
    let pacingStarted!: () => void;
    const pacing = new Promise<void>((resolve) => (pacingStarted = resolve));
    const background = readers(emulator.url, 1, paced, 300, 1000, async () => {
      await emulatorStats(emulator.url, true);
      pacingStarted();
    });
    await pacing;
    // Every paced stream has started (over 1 s) and has its first token (150 ms) by now.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // From here the emulator's figures are the burst's (the paced streams had their first tokens).
    await emulatorStats(emulator.url, true);
    const during = await round(10);
    const stats = await emulatorStats(emulator.url);
    await row(`while ${paced} other streams are paced at 20 ms`, during, stats.lateness);
    await background;
  } finally {
    await driver.close();
    await emulator.stop();
  }
}

/**
 * The emulator's CPU per request: one-token chat streams from 100 keep-alive connections, 200
 * rounds of 100 at once (connections warmed first), the emulator's user+system time over the rounds
 * divided by the requests. What a burst, a ramp or a short-stream workload costs besides the tokens.
 */
async function requestCost(rows: Row[]): Promise<void> {
  const clients = 100;
  const rounds = 200;
  const emulator = await spawnEmulator(["--ttft-ms", "0", "--itl-ms", "0"]);
  const driver = findProtocol("openai-chat").create(options(emulator.url, clients));
  const round = (collector: Collector): Promise<void> => driverRound(driver, collector, clients, 1);
  try {
    await round(new Collector());
    const collector = new Collector();
    const cpuBeforeS = processTreeCpuS(emulator.child.pid!);
    for (let i = 0; i < rounds; i++) await round(collector);
    const cpuS = processTreeCpuS(emulator.child.pid!) - cpuBeforeS;
    const requests = collector.overall.requests;
    rows.push([`emulator: CPU-microseconds per one-token chat request (${clients} keep-alive connections, ${requests} requests)`, `${((cpuS / requests) * 1e6).toFixed(1)} (${collector.overall.failed} failed)`, "-"]);
  } finally {
    await driver.close();
    await emulator.stop();
  }
}

/** `tokenstorm proxy` in its own process in front of `upstream`, with /metrics; resolves once it listens. */
async function spawnProxy(upstream: string): Promise<{ url: string; metricsUrl: string; stop(): Promise<void> }> {
  const args = ["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, "--metrics-port", "0", "--quiet", "--graceful-stop", "1"];
  const { match, stop } = await spawnListening(args, "stderr", /metrics at (\S+)[\s\S]*listening on (http:\/\/\S+)/);
  return { metricsUrl: match[1]!, url: match[2]!, stop };
}

/** One unlabelled sample of a family from a Prometheus exposition. */
async function scrapeValue(metricsUrl: string, name: string): Promise<number> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!match) throw new Error(`${name} not in ${metricsUrl}`);
  return Number(match[1]);
}

/**
 * What the live-traffic proxy adds: the same 100 streams against the same emulator, once direct and
 * once through `tokenstorm proxy` (its own process), compared as the client measures them. The ITL
 * difference is the added latency per chunk; the proxy's CPU time (process_cpu_seconds_total on its
 * /metrics) per million chunks it forwarded and measured is its cost.
 */
async function proxyOverhead(rows: Row[]): Promise<void> {
  const streams = 100;
  const tokens = 500;
  const emulator = await spawnEmulator(["--ttft-ms", "150", "--itl-ms", "20"]);
  let proxy: Awaited<ReturnType<typeof spawnProxy>> | null = null;
  try {
    const plan = { streams, tokens, rampMs: 1000, warmConnections: true };
    const direct = await runStreams(emulator.url, "openai-chat", plan);
    proxy = await spawnProxy(emulator.url);
    const cpuBefore = await scrapeValue(proxy.metricsUrl, "process_cpu_seconds_total");
    const chunksBefore = await scrapeValue(proxy.metricsUrl, "tokenstorm_tokens_received_total");
    const through = await runStreams(proxy.url, "openai-chat", plan);
    const cpuS = (await scrapeValue(proxy.metricsUrl, "process_cpu_seconds_total")) - cpuBefore;
    const chunks = (await scrapeValue(proxy.metricsUrl, "tokenstorm_tokens_received_total")) - chunksBefore;
    const at = `proxy @${streams} streams x ${tokens} tokens @ 20 ms`;
    rows.push([`${at}: added ITL p50 / p99 (ms, through - direct)`, `${(through.itl.p50 - direct.itl.p50).toFixed(3)} / ${(through.itl.p99 - direct.itl.p99).toFixed(3)}`, "p50 < 0.2"]);
    rows.push([`${at}: added TTFT p50 / p99 (ms, through - direct)`, `${(through.ttft.p50 - direct.ttft.p50).toFixed(3)} / ${(through.ttft.p99 - direct.ttft.p99).toFixed(3)}`, "-"]);
    rows.push([`${at}: proxy CPU-seconds per million chunks`, `${((cpuS / chunks) * 1e6).toFixed(2)} (${chunks} chunks)`, "-"]);
    rows.push([`${at}: failed requests direct / through`, `${direct.failed} / ${through.failed}`, "0 / 0"]);
  } finally {
    await proxy?.stop();
    await emulator.stop();
  }
}

/** One `tokenstorm run` in its own process against `url`; its report's summary. */
async function cliRun(url: string, args: string[], out: string): Promise<{ tokens_total: number; tokens_per_sec: number; failed: number }> {
  const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  const child = spawn(process.execPath, [cli, "run", "--target", url, ...args, "--quiet", "--no-save", "--out", out], { stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((resolve) => child.on("exit", resolve));
  return (JSON.parse(readFileSync(out, "utf8")) as { summary: { tokens_total: number; tokens_per_sec: number; failed: number } }).summary;
}

/**
 * Achievable token throughput of `tokenstorm run` with 1 and 2 local worker processes against an
 * emulator in its own process (sharing this machine's cores): unpaced streams, where the client's
 * parsing is the limit, and 1,000 streams at a 20 ms cadence, where the emulator's one write per
 * token is. Totals must match; the rates show what the second core adds.
 */
async function distributed(rows: Row[]): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "tokenstorm-bench-"));
  const scenarios = [
    { label: "200 streams unpaced, 2M tokens", emulator: ["--ttft-ms", "0", "--itl-ms", "0"], args: ["--clients", "200", "--max-concurrent", "200", "--cycles", "5", "--length", "2000"] },
    { label: "1000 streams @ 20 ms, 400k tokens", emulator: ["--ttft-ms", "20", "--itl-ms", "20"], args: ["--clients", "1000", "--max-concurrent", "1000", "--cycles", "2", "--length", "200"] },
  ];
  try {
    for (const scenario of scenarios) {
      const emulator = await spawnEmulator(scenario.emulator);
      try {
        for (const workers of [1, 2]) {
          const summary = await cliRun(emulator.url, [...scenario.args, "--workers", String(workers)], join(folder, `workers-${workers}.json`));
          const measured = `${summary.tokens_per_sec.toFixed(0)} (${summary.tokens_total} tokens, ${summary.failed} failed)`;
          rows.push([`distributed: tokens/s, --workers ${workers} (${scenario.label})`, measured, workers === 1 ? "-" : "> 1 worker"]);
        }
      } finally {
        await emulator.stop();
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Soak length, seconds: TOKENSTORM_SOAK_S (3600 for the hour the product promises), else a short 60 s check. */
function soakSeconds(): number {
  const raw = process.env["TOKENSTORM_SOAK_S"];
  if (raw === undefined || raw === "") return 60;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 20) return seconds;
  process.stderr.write(`bench: TOKENSTORM_SOAK_S must be a number of seconds >= 20 (got "${raw}")\n`);
  process.exit(2);
}

/** Growth past which a soak does not count as flat, KB per minute (see READING). */
const FLAT_KB_PER_MIN = 64;
/** Shorter soaks end inside warm-up (V8 sizing its heap, undici's per-connection queues): not judged. */
const SOAK_JUDGED_FROM_S = 1800;
const SOAK_SAMPLE_MS = 2000;
/**
 * Preloaded into each soak child (`--import`, no inspector): before every sample it runs a full GC
 * and writes heap used, heap reserved and external memory to fd 3, so heap growth is what survives
 * collection, not the sawtooth of garbage between collections. Worker threads stay silent.
 */
const PROBE =
  'import{writeSync}from"node:fs";import{setFlagsFromString}from"node:v8";import{runInNewContext}from"node:vm";import{isMainThread}from"node:worker_threads";' +
  'if(isMainThread){setFlagsFromString("--expose-gc");const gc=runInNewContext("gc");' +
  `const t=setInterval(()=>{gc();const m=process.memoryUsage();try{writeSync(3,[m.heapUsed,m.heapTotal,m.external].join(" ")+"\\n")}catch{clearInterval(t)}},${SOAK_SAMPLE_MS});t.unref()}`;

/** What the probe saw after its latest forced GC, KB. */
interface HeapReading {
  usedKb: number;
  /** V8 heap reserved: used plus free space in its pages. */
  totalKb: number;
  /** Memory outside the V8 heap held by JS objects (Buffers, ArrayBuffers). */
  externalKb: number;
}

interface ProbedChild {
  child: ReturnType<typeof spawn>;
  /** The latest reading; null before the first sample. */
  heap(): HeapReading | null;
  exited: Promise<void>;
}

/** A node child running the CLI with the probe preloaded; its stdout goes to `onStdout`. */
function spawnProbed(args: string[], onStdout?: (text: string) => void): ProbedChild {
  const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  const child = spawn(process.execPath, [`--import=data:text/javascript,${encodeURIComponent(PROBE)}`, cli, ...args], {
    stdio: ["ignore", onStdout ? "pipe" : "ignore", "inherit", "pipe"],
  });
  let heap: HeapReading | null = null;
  let pending = "";
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (data: Buffer) => {
    pending += data.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    if (lines.length > 0) {
      const [used, total, external] = lines.at(-1)!.split(" ").map((field) => Number(field) / 1024);
      heap = { usedKb: used!, totalKb: total!, externalKb: external! };
    }
  });
  if (onStdout) child.stdout!.on("data", (data: Buffer) => onStdout(data.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, heap: () => heap, exited };
}

function stopChild(probed: ProbedChild): Promise<void> {
  const { child } = probed;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  return probed.exited;
}

/** Resident set size of a process, KB, from /proc/<pid>/status; null once it is gone. */
function rssKb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

interface SoakSample {
  tS: number;
  clientRssKb: number | null;
  client: HeapReading | null;
  emulatorRssKb: number | null;
  emulator: HeapReading | null;
}

/**
 * Growth of `value` over the samples' second half, KB per minute: the Theil-Sen slope (the median of
 * the slopes between every two samples), so that one transient (a stall that piles up streams, a GC
 * that hands pages back) cannot tilt the line the way it tilts a least-squares fit.
 */
function slopeKbPerMin(samples: SoakSample[], value: (s: SoakSample) => number | null, durationS: number): { slope: number; first: number; last: number } | null {
  const points = samples.filter((s) => s.tS >= durationS / 2 && value(s) !== null).map((s) => [s.tS / 60, value(s)!] as const);
  if (points.length < 3) return null;
  const slopes = new Float64Array((points.length * (points.length - 1)) / 2);
  let n = 0;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) slopes[n++] = (points[j]![1] - points[i]![1]) / (points[j]![0] - points[i]![0]);
  }
  slopes.sort();
  const slope = n % 2 === 1 ? slopes[(n - 1) / 2]! : (slopes[n / 2 - 1]! + slopes[n / 2]!) / 2;
  return { slope, first: points[0]![1], last: points.at(-1)![1] };
}

/**
 * Memory over a long run: `tokenstorm run` (open model, 440 arrivals/s of 30 tokens at a 20 ms
 * cadence, so about 300 streams open; raw and CSV outputs streamed to /dev/null) against
 * `tokenstorm emulate`, each in its own process. RSS from /proc and the live heap after a forced GC
 * are sampled every 2 s; the first half is warm-up, growth is the slope over the second half.
 */
async function soak(rows: Row[], durationS: number): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "tokenstorm-soak-"));
  let listening: (url: string) => void = () => undefined;
  const urlReady = new Promise<string>((resolve) => (listening = resolve));
  let emulatorOut = "";
  const emulator = spawnProbed(["emulate", "--port", "0", "--ttft-ms", "100", "--itl-ms", "20"], (text) => {
    emulatorOut += text;
    const match = /listening on (http:\/\/\S+)/.exec(emulatorOut);
    if (match) listening(match[1]!);
  });
  let client: ProbedChild | null = null;
  try {
    const url = await Promise.race([urlReady, emulator.exited.then(() => Promise.reject(new Error("soak: the emulator exited before listening")))]);
    const out = join(folder, "report.json");
    const args = ["run", "--target", url, "--pattern", "constant", "--rps", "440", "--length", "30", "--max-concurrent", "1000"];
    args.push("--duration", String(durationS), "--quiet", "--no-save", "--out", out, "--raw", "/dev/null", "--csv", "/dev/null");
    const started = nowMs();
    client = spawnProbed(args);
    const clientPid = client.child.pid!;
    const emulatorPid = emulator.child.pid!;
    const samples: SoakSample[] = [];
    let nextNoteS = 60;
    const sampler = setInterval(() => {
      const sample: SoakSample = {
        tS: (nowMs() - started) / 1000,
        clientRssKb: rssKb(clientPid),
        client: client!.heap(),
        emulatorRssKb: rssKb(emulatorPid),
        emulator: emulator.heap(),
      };
      if (sample.tS > durationS) return;
      samples.push(sample);
      if (sample.tS >= nextNoteS) {
        nextNoteS += 60;
        const mb = (kb: number | null): string => (kb === null ? "-" : (kb / 1024).toFixed(1));
        process.stderr.write(
          `soak ${Math.round(sample.tS)}/${durationS}s: client rss ${mb(sample.clientRssKb)} MB heap ${mb(sample.client?.usedKb ?? null)} MB; emulator rss ${mb(sample.emulatorRssKb)} MB heap ${mb(sample.emulator?.usedKb ?? null)} MB\n`,
        );
      }
    }, SOAK_SAMPLE_MS);
    await client.exited;
    clearInterval(sampler);
    const samplesFile = process.env["TOKENSTORM_SOAK_SAMPLES"];
    if (samplesFile) {
      const heapFields = (h: HeapReading | null): string[] => [h?.usedKb, h?.totalKb, h?.externalKb].map((kb) => kb?.toFixed(0) ?? "");
      const lines = samples.map((s) => [s.tS.toFixed(1), s.clientRssKb, ...heapFields(s.client), s.emulatorRssKb, ...heapFields(s.emulator)].join(","));
      const header = "t_s,client_rss_kb,client_heap_kb,client_heap_total_kb,client_external_kb,emulator_rss_kb,emulator_heap_kb,emulator_heap_total_kb,emulator_external_kb";
      writeFileSync(samplesFile, `${header}\n${lines.join("\n")}\n`);
    }
    const summary = (JSON.parse(readFileSync(out, "utf8")) as { summary: { requests: number; failed: number; dropped: number } }).summary;
    const label = `soak ${durationS} s, ~300 streams @ 20 ms`;
    const series: Array<[string, (s: SoakSample) => number | null]> = [
      ["client RSS", (s) => s.clientRssKb],
      ["client live heap", (s) => s.client?.usedKb ?? null],
      ["emulator RSS", (s) => s.emulatorRssKb],
      ["emulator live heap", (s) => s.emulator?.usedKb ?? null],
    ];
    const goal = durationS >= SOAK_JUDGED_FROM_S ? `|x| < ${FLAT_KB_PER_MIN}` : `- (judged from ${SOAK_JUDGED_FROM_S} s)`;
    for (const [name, value] of series) {
      const fit = slopeKbPerMin(samples, value, durationS);
      const measured = fit === null ? "no samples" : `${fit.slope.toFixed(1)} (${(fit.first / 1024).toFixed(1)} -> ${(fit.last / 1024).toFixed(1)} MB)`;
      rows.push([`${label}: ${name} growth, 2nd half (KB/min)`, measured, goal]);
    }
    rows.push([`${label}: requests / failed / dropped`, `${summary.requests} / ${summary.failed} / ${summary.dropped}`, "- / 0 / 0"]);
  } finally {
    if (client) await stopChild(client);
    await stopChild(emulator);
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Headings of RESULTS.md sections a full run keeps as they are (figures from other machines or sessions). */
const KEPT_HEADINGS = ["## Between full runs", "## On a 16-core machine"];

/** The kept sections of the current RESULTS.md, from the first of their headings to the end of the file. */
function keptSections(): string {
  try {
    const current = readFileSync(RESULTS, "utf8");
    const found = KEPT_HEADINGS.map((heading) => current.indexOf(heading)).filter((at) => at >= 0);
    const at = found.length === 0 ? -1 : Math.min(...found);
    return at < 0 ? "" : `\n${current.slice(at)}`;
  } catch {
    return "";
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
  const loadAtStart = loadavg()[0]!;
  if (only === "memory-child") return memoryChild(process.argv[3]!, Number(process.argv[4]));
  if (only === "write-sink") return writeSink();
  if (only === "bare-reader") return bareReader(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
  // Checked before any section runs, so a bad value does not end a full bench minutes in.
  const soakS = !only || only === "soak" ? soakSeconds() : 0;
  if (!only || only === "client") await clientCost(rows);
  if (!only || only === "accuracy") {
    await accuracy(rows, 100);
    await accuracy(rows, 1000);
  }
  if (!only || only === "emulator") {
    // TOKENSTORM_BENCH_EMULATOR_STREAMS (e.g. "1000") keeps only those stream counts.
    const counts = process.env["TOKENSTORM_BENCH_EMULATOR_STREAMS"]?.split(",").map(Number);
    const plan = [
      [250, 250],
      [1000, 150],
      [5000, 50],
    ].filter(([streams]) => !counts || counts.includes(streams!));
    for (const [streams, tokens] of plan) await emulatorLateness(rows, streams!, tokens!);
    const paired = plan.filter(([streams]) => streams !== 5000);
    for (const [streams, tokens] of paired) await emulatorCpuBareReaders(rows, streams!, tokens!);
    await writeFloor(rows);
    wheelSleepCost(rows);
    const base = process.env["TOKENSTORM_BENCH_BASE_CLI"];
    if (base) {
      const label = ` (${process.env["TOKENSTORM_BENCH_BASE_LABEL"] ?? "baseline"})`;
      for (const [streams, tokens] of paired) await emulatorLateness(rows, streams!, tokens!, base, label);
      for (const [streams, tokens] of paired) await emulatorCpuBareReaders(rows, streams!, tokens!, base, label);
    }
  }
  if (!only || only === "requests") await requestCost(rows);
  if (!only || only === "burst") await burstWhilePacing(rows);
  if (!only || only === "distributed") await distributed(rows);
  if (!only || only === "proxy") await proxyOverhead(rows);
  if (!only || only === "fleet") await fleetCapacity(rows);
  if (only === "connections") await connectionsHeld(rows);
  if (!only || only === "startup") await startupCost(rows);
  if (!only || only === "soak") await soak(rows, soakS);
  const text = table(rows);
  console.log(text);
  const load = `load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ${load}`;
  if (!only) {
    writeFileSync(
      RESULTS,
      `# Benchmark results\n\nLast \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${machine}).\n` +
        "Client and emulator run in separate processes on 127.0.0.1; client CPU is the client process's user+system time. " +
        "Streams start spread over 1 s (so cadences are not all in phase), after one warm-up request per connection.\n\n" +
        `${text}\n\n${READING}\n${keptSections()}`,
    );
  }
}

await main();
