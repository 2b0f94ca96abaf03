// Prometheus metrics: a real Prometheus scrapes a running `tokenstorm run --prometheus-port` and the
// emulator's /metrics every second; the values it stored must be the report's values. Plus the
// exposition writer itself: buckets from an HDR histogram, escaping.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Collector } from "../src/metrics/collector.js";
import { LatencyHistogram } from "../src/metrics/histogram.js";
import { renderRunMetrics } from "../src/report/prometheus.js";
import { readReportFile } from "../src/report/json.js";
import type { Report } from "../src/report/types.js";
import { cumulativeBuckets, Exposition } from "../src/report/prometheus-text.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { freePort } from "../src/cluster/processes.js";
import { startPrometheus, type RunningPrometheus } from "./helpers/prometheus.js";

describe("Prometheus exposition writer", () => {
  it("derives cumulative buckets and the sum from an HDR histogram", () => {
    const histogram = new LatencyHistogram();
    for (const ms of [0.5, 4, 4, 12, 250, 90_000]) histogram.recordMs(ms);
    assert.deepEqual(cumulativeBuckets(histogram, [0.001, 0.005, 0.01, 0.1, 1, 60]), [1, 3, 3, 4, 5, 5]);
    const text = new Exposition().histogram("x_seconds", "help", histogram, { a: 'q"uo\\te\n' }, [0.005, 60]).toString();
    assert.match(text, /^# HELP x_seconds help\n# TYPE x_seconds histogram\n/);
    assert.match(text, /x_seconds_bucket\{a="q\\"uo\\\\te\\n",le="0\.005"\} 3\n/);
    assert.match(text, /x_seconds_bucket\{a="q\\"uo\\\\te\\n",le="60"\} 5\n/);
    assert.match(text, /x_seconds_bucket\{a="q\\"uo\\\\te\\n",le="\+Inf"\} 6\n/);
    assert.match(text, /x_seconds_count\{[^}]*\} 6\n/);
    const sum = Number(/x_seconds_sum\{[^}]*\} (\S+)/.exec(text)![1]);
    assert.ok(Math.abs(sum - 90.2705) < 0.1, `sum ${sum}`);
  });

  it("a run's gauges of users and waiting arrivals appear only where the load model has them", () => {
    const collector = new Collector();
    const plain = renderRunMetrics(collector, false);
    assert.doesNotMatch(plain, /tokenstorm_waiting_arrivals|tokenstorm_active_users/);
    collector.waitingArrivals = 3;
    assert.match(renderRunMetrics(collector, false), /^# TYPE tokenstorm_waiting_arrivals gauge\ntokenstorm_waiting_arrivals 3$/m);
  });

  it("the generator's health is exported once its first second has closed", () => {
    const collector = new Collector();
    assert.doesNotMatch(renderRunMetrics(collector, false), /tokenstorm_client_/);
    collector.clientHealth = { loopDelayP99Ms: 12.5, cpuSeconds: 3.25, saturated: false };
    const text = renderRunMetrics(collector, false);
    assert.match(text, /^# TYPE tokenstorm_client_event_loop_delay_p99_seconds gauge\ntokenstorm_client_event_loop_delay_p99_seconds 0\.0125$/m);
    assert.match(text, /^# TYPE tokenstorm_client_cpu_seconds_total counter\ntokenstorm_client_cpu_seconds_total 3\.25$/m);
    assert.match(text, /^# TYPE tokenstorm_client_saturated gauge\ntokenstorm_client_saturated 0$/m);
  });
});

describe("Prometheus scraping a run and the emulator", () => {
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 10 });
  const dir = tempDir();
  let prometheus: RunningPrometheus | undefined;
  let runPort: number;

  before(async () => {
    runPort = await freePort("127.0.0.1");
    const emulatorAddress = new URL(emulator().url).host;
    prometheus = await startPrometheus({ tokenstorm: [`127.0.0.1:${runPort}`], emulator: [emulatorAddress] });
    // Prometheus starts its scrape loops only after its first target sync (seconds after it is
    // ready); both jobs start together, so once the emulator has been scraped the run will be too.
    const deadline = Date.now() + 20_000;
    while ((await prometheus.query('up{job="emulator"}')).get("") !== 1) {
      if (Date.now() > deadline) throw new Error("Prometheus never scraped the emulator");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  after(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Poll an instant query until `check` accepts it (a scrape may be a second away). */
  async function eventually(expr: string, check: (value: number | undefined) => boolean, byLabel?: string): Promise<Map<string, number>> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const result = await prometheus!.query(expr, byLabel);
      if (check(result.get("")) || (byLabel && result.size > 0)) return result;
      if (Date.now() > deadline) assert.fail(`${expr}: got ${JSON.stringify([...result])}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A run against the emulator with `args`, exporting on the port Prometheus scrapes (kept up 2.5 s after it ends); its report. */
  async function exportedRun(name: string, args: string[]): Promise<Report> {
    const out = join(dir, name);
    const result = await runCli(["run", "--target", emulator().url, ...args, "--prometheus-port", String(runPort), "--linger", "2.5", "--out", out, "--no-save", "--quiet"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`Prometheus metrics at http://127\\.0\\.0\\.1:${runPort}/metrics`));
    return readReportFile(out);
  }

  /** The last value a series stored: a finished run's target is gone and its series are stale, so read over a window. */
  const last = (metric: string): string => `max_over_time(${metric}[5m])`;

  it("stores the run's counters and histograms with the report's values, and the emulator's vLLM metrics", async () => {
    const report = await exportedRun("report.json", ["--clients", "4", "--cycles", "1000", "--duration", "3.5", "--length", "20"]);
    const { summary } = report;

    await eventually(last("tokenstorm_run_finished"), (v) => v === 1);
    assert.equal((await prometheus!.query(last("tokenstorm_requests_total"))).get(""), summary.requests);
    assert.equal((await prometheus!.query(last("tokenstorm_requests_successful_total"))).get(""), summary.successful);
    assert.equal((await prometheus!.query(last("tokenstorm_tokens_total"))).get(""), summary.tokens_total);
    assert.equal((await prometheus!.query(last("tokenstorm_ttft_seconds_count"))).get(""), report.latency.ttft!.count);
    assert.equal((await prometheus!.query(last("tokenstorm_itl_seconds_count"))).get(""), report.latency.itl!.count);
    const ttftSum = (await prometheus!.query(last("tokenstorm_ttft_seconds_sum"))).get("")!;
    const reportSum = (report.latency.ttft!.mean * report.latency.ttft!.count) / 1000;
    assert.ok(Math.abs(ttftSum - reportSum) < reportSum * 0.01 + 0.001, `ttft sum ${ttftSum} vs report ${reportSum}`);
    // The run was watched while it went on, not only at the end.
    // (a scrape that saw the run unfinished; how many land in 3.5 s depends on the machine's load).
    const finishedAtFirst = (await prometheus!.query("min_over_time(tokenstorm_run_finished[5m])")).get("");
    assert.equal(finishedAtFirst, 0, "no scrape saw the run in progress");
    const peakActive = (await prometheus!.query(last("tokenstorm_active_requests"))).get("")!;
    assert.ok(peakActive >= 1 && peakActive <= 4, `in flight ${peakActive}`);

    // The emulator stays up: its series are live. It served this run only.
    await eventually("vllm:request_success_total", (v) => v === summary.successful);
    assert.equal((await prometheus!.query("vllm:generation_tokens_total")).get(""), summary.tokens_total);
    assert.equal((await prometheus!.query("vllm:time_to_first_token_seconds_count")).get(""), summary.successful);
    assert.equal((await prometheus!.query("vllm:e2e_request_latency_seconds_count")).get(""), summary.successful);
    assert.equal((await prometheus!.query("vllm:num_requests_running")).get(""), 0);
    // The emulator's own TTFT (arrival to first token, 20 ms asked) from its buckets.
    const emulatorTtftP50 = (await prometheus!.query("histogram_quantile(0.5, vllm:time_to_first_token_seconds_bucket)")).get("")!;
    assert.ok(emulatorTtftP50 >= 0.015 && emulatorTtftP50 <= 0.04, `emulator ttft p50 ${emulatorTtftP50}s`);
    const models = await prometheus!.query("vllm:num_requests_waiting", "model_name");
    assert.deepEqual([...models.keys()], ["tokenstorm-emulator"]);
  });

  it("a multi-turn run's turns are series of their own: requests, TTFT and e2e by turn, and conversations", async () => {
    const report = await exportedRun("turns.json", ["--turns", "3", "--clients", "2", "--cycles", "2", "--length", "5"]);
    const byTurn = report.by_turn!;
    assert.deepEqual(Object.keys(byTurn).sort(), ["1", "2", "3"]);
    // Once a scrape has seen every conversation complete, every turn's series holds its final value.
    await eventually(last("tokenstorm_conversations_completed_total"), (v) => v === report.conversations!.completed);
    assert.equal((await prometheus!.query(last("tokenstorm_conversations_started_total"))).get(""), report.conversations!.started);
    const byLabel = async (metric: string): Promise<Record<string, number>> => Object.fromEntries(await prometheus!.query(last(metric), "turn"));
    const expected = (pick: (turn: (typeof byTurn)[string]) => number): Record<string, number> => Object.fromEntries(Object.entries(byTurn).map(([turn, t]) => [turn, pick(t)]));
    assert.deepEqual(await byLabel("tokenstorm_turn_requests_total"), expected((t) => t.summary.requests));
    assert.deepEqual(await byLabel("tokenstorm_turn_requests_failed_total"), expected((t) => t.summary.failed));
    assert.deepEqual(await byLabel("tokenstorm_turn_ttft_seconds_count"), expected((t) => t.latency.ttft!.count));
    assert.deepEqual(await byLabel("tokenstorm_turn_e2e_seconds_count"), expected((t) => t.latency.e2e!.count));
  });

  it("the emulator's histograms also count whole (non-streamed) responses", async () => {
    const count = async (): Promise<number> => {
      const text = await fetch(`${emulator().url}/metrics`).then((r) => r.text());
      return Number(/^vllm:e2e_request_latency_seconds_count\{model_name="tokenstorm-emulator"\} (\d+)$/m.exec(text)![1]);
    };
    const before = await count();
    const response = await fetch(`${emulator().url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 5 }),
    });
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(await count(), before + 1);
  });

  it("a bad --prometheus-port is a usage error", async () => {
    const result = await runCli(["run", "--prometheus-port", "70000", "--no-save", "--quiet"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--prometheus-port must be a port number 0-65535 \(got "70000"\)/);
  });
});
