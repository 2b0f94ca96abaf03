// The generator watches itself: a run whose own event loop is held up says so on the console and
// in the report (client.saturated), a run that is not says neither; against a tokenstorm emulator
// the report also carries the emulator's own timing error.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Report } from "../src/report/types.js";
import { spawnEmulator } from "../src/emulator/process.js";
import { CLI, collect, tempDir } from "./helpers/cli.js";
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { LOOP_DELAY_BOUND_MS } from "../src/metrics/self-watch.js";
import { freePort } from "../src/cluster/processes.js";

/** Preloaded into the run's process: a CPU-bound loop that holds its event loop 120 ms of every 150. */
const HOG = `data:text/javascript,setInterval(()=>{const end=performance.now()+120;while(performance.now()<end);},150).unref()`;

/**
 * A `tokenstorm run` with `preload` in its process. With `metricsPort`, its /metrics is read every
 * 100 ms while it runs (it lingers 2 s after the end): `scraped` is the last exposition read.
 */
async function run(preload: string[], args: string[], metricsPort?: number): Promise<{ code: number | null; stderr: string; report: Report; scraped: string }> {
  const dir = tempDir();
  try {
    const out = join(dir, "report.json");
    const exporting = metricsPort === undefined ? [] : ["--prometheus-port", String(metricsPort), "--linger", "2"];
    const child = spawn(process.execPath, [...preload, CLI, "run", ...args, ...exporting, "--quiet", "--no-save", "--out", out], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let scraped = "";
    let running = true;
    const scraping = (async () => {
      while (running && metricsPort !== undefined) {
        scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => scraped);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const result = await collect(child, 60_000);
    running = false;
    await scraping;
    return { code: result.code, stderr: result.stderr, report: JSON.parse(readFileSync(out, "utf8")) as Report, scraped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The value of an unlabelled series in an exposition. */
function sample(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

const ARGS = ["--clients", "4", "--cycles", "2", "--length", "100", "--delay", "0.02"];

describe("generator self-watch", () => {
  test("a generator whose event loop is held up warns, reports client.saturated, and says so on /metrics", async () => {
    const { code, stderr, report, scraped } = await run(["--import", HOG], ARGS, await freePort("127.0.0.1"));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /warning: the load generator is saturated \(event-loop delay p99 [\d.]+ ms/);
    assert.equal(report.client?.saturated, true);
    assert.ok(report.client!.loop_delay_p99_ms > 50, `loop delay p99 ${report.client!.loop_delay_p99_ms}`);
    assert.ok(report.timeline.some((point) => (point.client_loop_delay_p99_ms ?? 0) > 50), "the timeline shows the held-up seconds");
    // Prometheus sees it live: the flag, the last second's delay, and the CPU the hog burnt.
    assert.equal(sample(scraped, "tokenstorm_run_finished"), 1, "scraped the finished run");
    assert.equal(sample(scraped, "tokenstorm_client_saturated"), 1);
    const lastSecondMs = report.timeline.at(-1)!.client_loop_delay_p99_ms!;
    assert.equal(sample(scraped, "tokenstorm_client_event_loop_delay_p99_seconds"), lastSecondMs / 1000, "the last second's delay");
    const cpuSeconds = sample(scraped, "tokenstorm_client_cpu_seconds_total")!;
    assert.ok(cpuSeconds >= 0.1, `client CPU ${cpuSeconds} s: the hog alone spends 120 ms of every 150`);
  });

  test("an unsaturated run has neither the warning nor client.saturated; the embedded emulator's lateness is in the report", async (t) => {
    // This process's own event loop over the same time says whether the machine let any process
    // run on time: where it did not, the run was saturated by the machine, and saying so is right.
    const machine = monitorEventLoopDelay({ resolution: 10 });
    machine.enable();
    const { code, stderr, report } = await run([], ARGS);
    machine.disable();
    const machineDelayP99Ms = machine.percentile(99) / 1e6;
    assert.equal(code, 0, stderr);
    assert.equal(typeof report.client?.saturated, "boolean");
    if (machineDelayP99Ms > LOOP_DELAY_BOUND_MS / 2) {
      t.diagnostic(`machine too busy to judge saturation (test process loop delay p99 ${machineDelayP99Ms.toFixed(1)} ms): not asserting its absence`);
    } else {
      assert.doesNotMatch(stderr, /saturated/);
      assert.equal(report.client?.saturated, false);
    }
    assert.ok(report.client!.cpu_percent >= 0 && report.client!.cpu_percent_max >= report.client!.cpu_percent * 0.5);
    assert.ok(report.timeline.every((point) => typeof point.client_cpu_percent === "number"));
    assert.equal(report.emulator?.tokens_sent, 800);
    assert.equal(report.emulator?.lateness.count, 800);
  });

  test("--emulator-stats reads an external tokenstorm emulator's own lateness; without it the target gets no extra request", async () => {
    const emulator = await spawnEmulator(["--ttft-ms", "5", "--itl-ms", "5", "--seed", "1"]);
    try {
      const asked = await run([], ["--target", emulator.url, "--clients", "2", "--cycles", "1", "--length", "10", "--emulator-stats"]);
      assert.equal(asked.code, 0, asked.stderr);
      assert.equal(asked.report.emulator?.tokens_sent, 20);
      assert.ok(asked.report.emulator!.lateness.count >= 20);
      const unasked = await run([], ["--target", emulator.url, "--clients", "2", "--cycles", "1", "--length", "10"]);
      assert.equal(unasked.code, 0, unasked.stderr);
      assert.equal(unasked.report.emulator, undefined);
    } finally {
      await emulator.stop();
    }
  });
});
