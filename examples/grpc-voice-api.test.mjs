// Seed 002's "Programmatic Usage" with tokenstorm: build a config from a named scenario or by hand,
// run it, read the report, save it. As a node:test file so `npm test` keeps it working. Point it at
// your gateway with `target: "localhost:50051"` (and `audioDir: "./test_audio"` for real queries);
// without a target each run starts the embedded emulated gateway on a free loopback port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromScenario, loadTestConfig, runLoadTest, saveReport } from "../dist/src/index.js";

test("a predefined scenario: baseline, cut to 2 s", async () => {
  // seed 002: LoadTestConfig.from_scenario(TestScenario.BASELINE, target_url=..., audio_dir=...)
  const config = fromScenario("baseline", { protocol: "grpc-voice", durationS: 2 });

  const { report } = await runLoadTest(config);
  // Latencies are in milliseconds (seed 002's collector reports seconds).
  console.log(`Success rate: ${(report.summary.success_rate * 100).toFixed(1)}%`);
  console.log(`P95 latency: ${report.latency.e2e.p95.toFixed(0)}ms`);
  assert.equal(report.summary.success_rate, 1);
  assert.ok(report.latency.e2e.p95 > 0 && report.latency.ttfa.p95 > 0);
  assert.equal(report.assessment.verdict, "good");

  // seed 002: collector.save_report("report.json", config.to_dict()); the config is inside the report.
  const path = join(mkdtempSync(join(tmpdir(), "tokenstorm-example-")), "report.json");
  await saveReport(path, report);
  const saved = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(saved.summary.requests, report.summary.requests);
  assert.equal(saved.config.scenario, "baseline");
});

test("a custom config: 2 users ramped up over 0.5 s, held 1 s, 0.5 s think time", async () => {
  // seed 002: LoadTestConfig(target_url=..., max_users=25, ramp_up_time=30, hold_time=120, think_time=2.0)
  const config = loadTestConfig({ protocol: "grpc-voice", users: 2, rampUpS: 0.5, holdS: 1, thinkTimeS: 0.5, thresholds: ["e2e.p95<3s"] });

  const { report, exitCode } = await runLoadTest(config);
  assert.equal(exitCode, 0, JSON.stringify(report.thresholds));
  assert.equal(report.summary.success_rate, 1);
  assert.ok(report.summary.requests >= 2, `${report.summary.requests} requests`);
  assert.deepEqual(report.thresholds.map((t) => t.ok), [true]);
});
