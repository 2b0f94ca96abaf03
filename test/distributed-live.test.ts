// Distributed runs feed the live outputs while they go on: the controller's Prometheus exporter and
// web view (/data, what the page polls) show the workers' merged totals each second, counters rising
// and never going back (not even when a worker dies), and end on the merged report's figures. Real
// worker processes (local and through a real redis-server), scraped over loopback during the run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePorts } from "../src/cluster/processes.js";
import { startRedisServer } from "./helpers/redis.js";
import type { Report } from "../src/report/types.js";
import { collect, startCli, tempDir, type CliResult } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

const COUNTERS = ["requests_total", "requests_successful_total", "requests_started_total", "tokens_total", "tokens_received_total", "cycles_total", "client_cpu_seconds_total"] as const;

/** One scrape of the exporter and one poll of the web view, taken together. */
interface Sample {
  /** Unlabelled tokenstorm_* series by name without the prefix. */
  metrics: Map<string, number>;
  web: { finished: boolean; requests: number; timeline: number; ttftP50: number | null } | null;
}

function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^tokenstorm_(\w+) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

async function sample(prometheusPort: number, webPort: number | null): Promise<Sample | null> {
  try {
    const metrics = parseExposition(await (await fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).text());
    if (webPort === null) return { metrics, web: null };
    const data = (await (await fetch(`http://127.0.0.1:${webPort}/data?from=0`)).json()) as {
      finished: boolean;
      run: { summary: { requests: number }; timeline: unknown[]; latency: Record<string, { p50: number } | undefined> } | null;
    };
    const run = data.run;
    return { metrics, web: { finished: data.finished, requests: run?.summary.requests ?? 0, timeline: run?.timeline.length ?? 0, ttftP50: run?.latency["ttft"]?.p50 ?? null } };
  } catch {
    return null; // not listening yet, or already gone
  }
}

/** Sample every 250 ms until the exporter says the run finished (the last sample is that one), or the run exits. */
async function watch(prometheusPort: number, webPort: number | null, run: { exited: boolean }, onSample?: (s: Sample) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  const deadline = Date.now() + 60_000;
  while (!run.exited && Date.now() < deadline) {
    const s = await sample(prometheusPort, webPort);
    if (s && s.metrics.size > 0) {
      samples.push(s);
      onSample?.(s);
      if (s.metrics.get("run_finished") === 1 && (webPort === null || s.web?.finished)) break;
    }
    await sleep(250);
  }
  return samples;
}

function readReport(path: string): Report {
  return JSON.parse(readFileSync(path, "utf8")) as Report;
}

/** Every counter is non-decreasing from one scrape to the next. */
function assertMonotonic(samples: Sample[]): void {
  for (const counter of COUNTERS) {
    const series = samples.map((s) => s.metrics.get(counter) ?? 0);
    series.forEach((value, i) => assert.ok(i === 0 || value >= series[i - 1]!, `${counter} went back: ${series.join(" ")}`));
  }
}

/** Scrapes of the run in progress saw the counters rise, before the end. */
function assertRoseLive(samples: Sample[]): Sample[] {
  const live = samples.filter((s) => s.metrics.get("run_finished") === 0);
  for (const counter of ["requests_total", "tokens_received_total", "tokens_total"]) {
    const values = new Set(live.map((s) => s.metrics.get(counter)!).filter((v) => v > 0));
    assert.ok(values.size >= 2, `${counter} rose during the run: ${live.map((s) => s.metrics.get(counter)).join(" ")}`);
  }
  return live;
}

/** The finished run's last scrape holds the merged report's totals. */
function assertFinalEqualsReport(final: Sample, report: Report): void {
  const m = final.metrics;
  assert.equal(m.get("run_finished"), 1);
  assert.equal(m.get("requests_total"), report.summary.requests);
  assert.equal(m.get("requests_successful_total"), report.summary.successful);
  assert.equal(m.get("requests_failed_total"), report.summary.failed);
  assert.equal(m.get("tokens_total"), report.summary.tokens_total);
  assert.equal(m.get("ttft_seconds_count"), report.latency["ttft"]!.count);
  assert.equal(m.get("itl_seconds_count"), report.latency["itl"]!.count);
  assert.equal(m.get("e2e_seconds_count"), report.latency["e2e"]!.count);
  assert.equal(m.get("active_requests"), 0);
  // The workers' own health: their CPU added up, the flag set only if a worker's report says it saturated.
  assert.ok(m.get("client_cpu_seconds_total")! > 0, `client CPU ${m.get("client_cpu_seconds_total")}`);
  assert.ok(m.get("client_event_loop_delay_p99_seconds")! >= 0);
  if (report.client?.saturated === false) assert.equal(m.get("client_saturated"), 0);
  else assert.ok([0, 1].includes(m.get("client_saturated")!));
  // The merged histograms' sum: the report's mean times its count, to the histograms' resolution.
  const reportSum = (report.latency["ttft"]!.mean * report.latency["ttft"]!.count) / 1000;
  assert.ok(Math.abs(m.get("ttft_seconds_sum")! - reportSum) <= reportSum * 0.01 + 0.001, `ttft sum ${m.get("ttft_seconds_sum")} vs ${reportSum}`);
}

/**
 * A distributed run of 8 clients for 4 s with the exporter and the web view, watched while it goes
 * on: the checks both kinds of controller share (exit 0, both segments merged, counters never back,
 * live figures rising, the final scrape equal to the report). `source` says where the workers are.
 */
async function watchedLiveRun(source: string[], targetUrl: string, children: ChildProcess[]): Promise<{ samples: Sample[]; report: Report; webLive: NonNullable<Sample["web"]>[] }> {
  const cwd = tempDir();
  const [prometheusPort, webPort] = await freePorts("127.0.0.1", 2);
  const run = started(
    ["run", ...source, "--target", targetUrl, "--clients", "8", "--duration", "4", "--length", "30",
      "--prometheus-port", String(prometheusPort), "--web", "--web-port", String(webPort), "--linger", "3",
      "--out", "r.json", "--no-save", "--quiet"],
    cwd,
  );
  children.push(run.child);
  const samples = await watch(prometheusPort!, webPort!, run.state);
  const result = await run.result;
  assert.equal(result.code, 0, result.stderr);
  const report = readReport(join(cwd, "r.json"));
  assert.deepEqual(report.segments, { count: 2, merged: ["1/2", "2/2"], missing: [] });

  assertMonotonic(samples);
  const live = assertRoseLive(samples);
  // In flight: the sum over both workers (4 clients each), more than either alone has.
  const peakActive = Math.max(...live.map((s) => s.metrics.get("active_requests")!));
  assert.ok(peakActive > 4 && peakActive <= 8, `in flight at most ${peakActive}`);
  assertFinalEqualsReport(samples.at(-1)!, report);
  const webLive = live.map((s) => s.web!).filter((w) => !w.finished && w.requests > 0);
  assert.ok(new Set(webLive.map((w) => w.requests)).size >= 2, `web requests rose: ${webLive.map((w) => w.requests).join(" ")}`);
  assert.equal(samples.at(-1)!.web!.requests, report.summary.requests);
  return { samples, report, webLive };
}

function started(args: string[], cwd: string): { child: ChildProcess; result: Promise<CliResult>; state: { exited: boolean } } {
  const child = startCli(args, { cwd });
  const state = { exited: false };
  const result = collect(child, 90_000).then((r) => {
    state.exited = true;
    return r;
  });
  return { child, result, state };
}

describe("live outputs of distributed runs", () => {
  // Each request streams for about 20 ms + 30 x 20 ms: several finish every second.
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 20 });
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  test("--workers 2: the exporter and the web view rise second by second and end on the merged report", async () => {
    const { samples, report, webLive } = await watchedLiveRun(["--workers", "2"], emulator().url, children);
    // The web view: its figures and its timeline grew while the run went on, a second at a time.
    const lengths = webLive.map((w) => w.timeline);
    lengths.forEach((n, i) => assert.ok(i === 0 || n >= lengths[i - 1]!, `timeline shrank: ${lengths.join(" ")}`));
    assert.ok(Math.max(...lengths) >= Math.min(...lengths) + 2, `timeline grew during the run: ${lengths.join(" ")}`);
    // Live percentiles come from the merged histograms: a TTFT within the run's own range, never
    // under the emulator's 20 ms (how close to it the timing suite checks: test/timing/).
    const ttft = webLive.at(-1)!.ttftP50!;
    const range = report.latency.ttft!;
    assert.ok(ttft >= 15 && ttft >= range.min - 1 && ttft <= range.max + 1, `live ttft p50 ${ttft} ms, run ${JSON.stringify(range)}`);
    const finalWeb = samples.at(-1)!.web!;
    assert.equal(finalWeb.finished, true);
    assert.equal(finalWeb.requests, report.summary.requests);
    assert.equal(finalWeb.timeline, report.timeline.length);
  });

  test("--workers 2, one worker killed mid-run: no counter goes back, its segment is missing from the report", async () => {
    const cwd = tempDir();
    const [prometheusPort] = await freePorts("127.0.0.1", 1);
    const run = started(
      ["run", "--target", emulator().url, "--workers", "2", "--clients", "8", "--duration", "4", "--length", "30",
        "--prometheus-port", String(prometheusPort), "--linger", "3", "--out", "r.json", "--no-save", "--quiet"],
      cwd,
    );
    children.push(run.child);
    let killed = false;
    let beforeKill: Sample | null = null;
    const samples = await watch(prometheusPort!, null, run.state, (s) => {
      if (killed || (s.metrics.get("requests_total") ?? 0) < 8) return;
      // Two seconds of load counted: kill one worker (a child of this run's controller).
      const workers = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(run.child.pid)], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes("worker --ipc"))
        .map((line) => Number(line.trim().split(/\s+/)[0]));
      assert.equal(workers.length, 2);
      process.kill(workers[0]!, "SIGKILL");
      killed = true;
      beforeKill = s;
    });
    const result = await run.result;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(killed && beforeKill, "the run was watched until a worker could be killed");
    const report = readReport(join(cwd, "r.json"));
    assert.equal(report.segments!.missing.length, 1);

    assertMonotonic(samples);
    const final = samples.at(-1)!;
    assert.equal(final.metrics.get("run_finished"), 1);
    // The dead worker's requests were counted while it lived and stay counted; the report leaves them out.
    const killedAt = beforeKill as Sample;
    for (const counter of COUNTERS) assert.ok(final.metrics.get(counter)! >= killedAt.metrics.get(counter)!, counter);
    assert.ok(final.metrics.get("requests_total")! >= report.summary.requests);
    assert.ok(final.metrics.get("ttft_seconds_count")! >= report.latency["ttft"]!.count);
    assert.equal(final.metrics.get("active_requests"), 0);
  });
});

describe("live outputs of a Redis-controlled run", () => {
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 20 });
  let redis: ChildProcess | undefined;
  let url = "";
  const children: ChildProcess[] = [];

  before(async () => {
    const [port] = await freePorts("127.0.0.1", 1);
    url = `redis://127.0.0.1:${port}`;
    redis = await startRedisServer(port!);
  });
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    redis?.kill("SIGKILL");
  });

  test("controller + 2 workers: the exporter and the web view are live and end on the merged report", async () => {
    for (const name of ["w1", "w2"]) {
      const worker = startCli(["worker", "--redis", url, "--name", name, "--once"]);
      worker.stdout!.resume();
      worker.stderr!.resume();
      children.push(worker);
    }
    const { webLive } = await watchedLiveRun(["--redis", url, "--expect-workers", "2"], emulator().url, children);
    assert.ok(Math.max(...webLive.map((w) => w.timeline)) >= 2, "the web timeline filled during the run");
  });
});
