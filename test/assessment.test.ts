// Seed 002's "Interpreting results" on hand-made reports: each check's good and warning side, the
// verdict, and the console lines; voice protocols get the assessment, others do not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assessmentFor, assessReport } from "../src/report/assessment.js";
import { renderConsoleReport } from "../src/report/console.js";
import type { Report, TimelinePoint } from "../src/report/types.js";
import { sampleReport } from "./helpers/sample-report.js";

function point(tS: number, users: number, e2eP50: number | null, completed = 10, failed = 0): TimelinePoint {
  return { ...sampleReport().timeline[0]!, t_s: tS, active: users, active_users: users, completed, failed, e2e_p50: e2eP50 };
}

/** A clean voice run: p95 2 s, p99 2.2 s, no errors, 5 users throughout. */
function cleanReport(): Report {
  const report = sampleReport();
  report.config.protocol = "grpc-voice";
  report.summary = { ...report.summary, requests: 100, successful: 100, failed: 0, success_rate: 1, error_rate: 0 };
  report.errors = {};
  report.latency.e2e = { ...report.latency.e2e!, p50: 1500, p95: 2000, p99: 2200 };
  report.timeline = [1, 2, 3, 4, 5].map((t) => point(t, 5, 1500));
  return report;
}

const statusOf = (report: Report, name: string): string | undefined => assessReport(report).checks.find((c) => c.name === name)?.status;

test("a clean run is good; constant users leave the growth check unassessed", () => {
  const assessment = assessReport(cleanReport());
  assert.equal(assessment.verdict, "good");
  assert.deepEqual(
    assessment.checks.map((c) => [c.name, c.status]),
    [["p95_latency", "good"], ["error_rate", "good"], ["latency_vs_users", "not_assessed"], ["tail_latency", "good"]],
  );
});

test("p95 at 3 s or more, 1% errors or more, p99 at twice p95 or more: warnings", () => {
  const slow = cleanReport();
  slow.latency.e2e = { ...slow.latency.e2e!, p95: 3000, p99: 3100 };
  assert.equal(statusOf(slow, "p95_latency"), "warning");

  const failing = cleanReport();
  failing.summary = { ...failing.summary, successful: 99, failed: 1, error_rate: 0.01 };
  failing.errors = { grpc_unavailable: 1 };
  const check = assessReport(failing).checks.find((c) => c.name === "error_rate")!;
  assert.equal(check.status, "warning");
  assert.match(check.message, /error rate 1\.00% >= 1\.00%, mostly grpc_unavailable/);

  const outliers = cleanReport();
  outliers.latency.e2e = { ...outliers.latency.e2e!, p95: 1000, p99: 2000 };
  assert.equal(statusOf(outliers, "tail_latency"), "warning");
  assert.equal(assessReport(outliers).verdict, "warning");
});

test("latency that climbs with the number of users is a warning; flat latency over a ramp is good", () => {
  const climbing = cleanReport();
  climbing.timeline = [1, 5, 10, 15, 20].map((users, i) => point(i + 1, users, 1000 + users * 100));
  const check = assessReport(climbing).checks.find((c) => c.name === "latency_vs_users")!;
  assert.equal(check.status, "warning");
  assert.match(check.message, /median latency \+\d+% from 1 to 20 users \(100\.0 ms per user, r=1\.00\)/);

  const flat = cleanReport();
  flat.timeline = [1, 5, 10, 15, 20].map((users, i) => point(i + 1, users, 1500 + (i % 2) * 20));
  assert.equal(statusOf(flat, "latency_vs_users"), "good");
});

test("a worst second with many errors is named; no finished request is not assessed", () => {
  const spiky = cleanReport();
  spiky.timeline = [point(1, 5, 1500), point(2, 5, 1500, 5, 5), point(3, 5, 1500)];
  assert.match(assessReport(spiky).checks.find((c) => c.name === "error_rate")!.message, /worst second 50\.00% at 2 s/);

  const empty = cleanReport();
  empty.summary = { ...empty.summary, requests: 0, successful: 0 };
  delete empty.latency.e2e;
  assert.deepEqual(assessReport(empty).checks.map((c) => c.status), ["not_assessed", "not_assessed", "not_assessed", "not_assessed"]);
});

test("voice protocols carry the assessment to the console; others have none", () => {
  const report = cleanReport();
  assert.equal(assessmentFor(report, "openai-chat"), undefined);
  report.assessment = assessmentFor(report, "grpc-voice");
  const text = renderConsoleReport(report);
  assert.match(text, /ASSESSMENT \(seed 002 criteria, e2e\): GOOD/);
  assert.match(text, /✓ p95_latency +p95 latency 2\.00 s < 3\.00 s/);
});
