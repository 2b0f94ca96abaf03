// Threshold expressions: every accepted spelling, collected errors, and evaluation against a report.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../src/errors.js";
import {
  evaluateThresholds,
  formatMetric,
  metricValue,
  parseThreshold,
  parseThresholds,
} from "../src/report/thresholds.js";
import { sampleReport } from "./helpers/sample-report.js";

function parsed(expression: string): { metric: string; op: string; value: number } {
  const threshold = parseThreshold(expression);
  return { metric: formatMetric(threshold.metric), op: threshold.op, value: threshold.value };
}

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err.message;
  }
  assert.fail("expected an error");
}

describe("parseThreshold", () => {
  it("reads latency stats with time units, converting to milliseconds", () => {
    assert.deepEqual(parsed("ttft.p95<2500ms"), { metric: "ttft.p95", op: "<", value: 2500 });
    assert.deepEqual(parsed("e2e.p99<=3s"), { metric: "e2e.p99", op: "<=", value: 3000 });
    assert.deepEqual(parsed("itl.mean<25"), { metric: "itl.mean", op: "<", value: 25 });
    assert.deepEqual(parsed("connect.max<500us"), { metric: "connect.max", op: "<", value: 0.5 });
    assert.deepEqual(parsed("e2e.max<2m"), { metric: "e2e.max", op: "<", value: 120_000 });
    assert.deepEqual(parsed(" ttft.p50 >= 1.5e2 ms "), { metric: "ttft.p50", op: ">=", value: 150 });
  });

  it("accepts k6 and named stat aliases", () => {
    assert.equal(parsed("ttft.p(95)<1s").metric, "ttft.p95");
    assert.equal(parsed("ttft.p(99.9)<1s").metric, "ttft.p999");
    assert.equal(parsed("itl.avg<25").metric, "itl.mean");
    assert.equal(parsed("itl.med<25").metric, "itl.p50");
    assert.equal(parsed("itl.median<25").metric, "itl.p50");
    assert.equal(parsed("ttft.count>10").metric, "ttft.count");
  });

  it("reads summary figures, rates with %, and every operator", () => {
    assert.deepEqual(parsed("success_rate>0.99"), { metric: "success_rate", op: ">", value: 0.99 });
    assert.deepEqual(parsed("error_rate<1%"), { metric: "error_rate", op: "<", value: 0.01 });
    assert.deepEqual(parsed("tokens_per_sec>=1000"), { metric: "tokens_per_sec", op: ">=", value: 1000 });
    assert.deepEqual(parsed("duration_s<2m"), { metric: "duration_s", op: "<", value: 120 });
    assert.equal(parsed("tokens_lost==0").op, "==");
    assert.equal(parsed("failed!=3").op, "!=");
  });

  it("reads error counts and per-type paths", () => {
    assert.deepEqual(parsed("errors<5"), { metric: "errors", op: "<", value: 5 });
    assert.deepEqual(parsed("errors.http_500<1"), { metric: "errors.http_500", op: "<", value: 1 });
    assert.equal(parsed("errors.timeout_idle==0").metric, "errors.timeout_idle");
    assert.deepEqual(parsed("by_type.short.ttft.p95<100ms"), { metric: "by_type.short.ttft.p95", op: "<", value: 100 });
    assert.equal(parsed("by_type.short.success_rate>=99%").metric, "by_type.short.success_rate");
    assert.equal(parsed("by_type.v1.2.e2e.p(99)<5s").metric, "by_type.v1.2.e2e.p99");
  });

  it("accepts latency metrics that protocols add", () => {
    const threshold = parseThreshold("ttfa.p95<800ms", { latencyMetrics: ["ttfa", "barge_in"] });
    assert.equal(formatMetric(threshold.metric), "ttfa.p95");
    assert.equal(threshold.value, 800);
  });

  it("rejects bad expressions with one line naming the expression", () => {
    const unknown = usageMessage(() => parseThreshold("foo.p95<1"));
    assert.match(unknown, /^--threshold "foo\.p95<1": unknown metric "foo" \(known: connect, .*ttft.*success_rate.*errors\.<class>/);
    assert.doesNotMatch(unknown, /\n/);
    assert.match(usageMessage(() => parseThreshold("ttft.p97<1")), /unknown stat "p97" for "ttft"/);
    assert.match(usageMessage(() => parseThreshold("ttft<1")), /"ttft" needs a stat/);
    assert.match(usageMessage(() => parseThreshold("ttft.p95=1")), /expected <metric><op><value>\[unit\]/);
    assert.match(usageMessage(() => parseThreshold("ttft.p95<fast")), /expected <metric><op><value>/);
    assert.match(usageMessage(() => parseThreshold("ttft.p95<1h")), /unknown unit "h"/);
    assert.match(usageMessage(() => parseThreshold("ttft.p95<5%")), /"%" applies only to rates/);
    assert.match(usageMessage(() => parseThreshold("success_rate>1s")), /"s" applies only to times/);
    assert.match(usageMessage(() => parseThreshold("success_rate.p95>1")), /takes no stat/);
    assert.match(usageMessage(() => parseThreshold("errors.teapot<1")), /unknown error class "teapot"/);
    assert.match(usageMessage(() => parseThreshold("by_type.ttft<1")), /expected by_type\.<type>\.<metric>/);
    assert.match(usageMessage(() => parseThreshold("by_type.ttft.p95<1")), /unknown metric "p95"/);
  });
});

describe("parseThresholds", () => {
  it("collects every error into one message", () => {
    const message = usageMessage(() => parseThresholds(["ttft.p95<1s", "foo<1", "itl.p97<2", "error_rate<1%"]));
    const parts = message.split("; ");
    assert.equal(parts.length, 2);
    assert.match(parts[0]!, /^--threshold "foo<1": unknown metric "foo"/);
    assert.match(parts[1]!, /^--threshold "itl\.p97<2": unknown stat "p97"/);
  });

  it("returns every threshold when all parse", () => {
    assert.equal(parseThresholds(["ttft.p95<1s", "errors<5"]).length, 2);
    assert.deepEqual(parseThresholds([]), []);
  });
});

describe("evaluateThresholds", () => {
  it("checks each expression against the report, with actual in the natural unit", () => {
    const report = sampleReport();
    const results = evaluateThresholds(
      parseThresholds([
        "ttft.p95<2500ms",
        "e2e.p99<=3s",
        "success_rate>0.99",
        "error_rate<5%",
        "tokens_per_sec>=1000",
        "itl.avg<25",
        "errors.http_500<1",
        "errors.refused==0",
        "errors<5",
        "by_type.short.ttft.p95<100ms",
        "by_type.long.success_rate>=0.9",
      ]),
      report,
    );
    assert.deepEqual(results, [
      { expression: "ttft.p95<2500ms", ok: true, actual: 250.75 },
      { expression: "e2e.p99<=3s", ok: false, actual: 4752.32 },
      { expression: "success_rate>0.99", ok: false, actual: 0.96 },
      { expression: "error_rate<5%", ok: true, actual: 0.04 },
      { expression: "tokens_per_sec>=1000", ok: false, actual: 269.61 },
      { expression: "itl.avg<25", ok: true, actual: 10.2 },
      { expression: "errors.http_500<1", ok: false, actual: 1 },
      { expression: "errors.refused==0", ok: true, actual: 0 },
      { expression: "errors<5", ok: true, actual: 2 },
      { expression: "by_type.short.ttft.p95<100ms", ok: false, actual: 201.4 },
      { expression: "by_type.long.success_rate>=0.9", ok: true, actual: 0.9 },
    ]);
  });

  it("fails a metric that has no data, with actual null", () => {
    const report = sampleReport();
    report.latency["queue"] = { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    const thresholds = parseThresholds(["ttfb.p95<1s", "queue.p95<1s", "by_type.missing.ttft.p95<1s", "ttfa.p95<1s"], {
      latencyMetrics: ["ttfa"],
    });
    assert.deepEqual(
      evaluateThresholds(thresholds, report).map((r) => [r.ok, r.actual]),
      [[false, null], [false, null], [false, null], [false, null]],
    );
    report.summary.requests = 0;
    assert.deepEqual(evaluateThresholds(parseThresholds(["success_rate>=0"]), report), [
      { expression: "success_rate>=0", ok: false, actual: null },
    ]);
  });
});

describe("metricValue", () => {
  it("reads any figure by path, including latency keys only the report knows", () => {
    const report = sampleReport();
    report.latency["barge_in"] = { count: 3, min: 10, mean: 20, stddev: 5, p50: 19, p90: 28, p95: 29, p99: 30, p999: 30, max: 30 };
    assert.equal(metricValue(report, "ttft.p(95)"), 250.75);
    assert.equal(metricValue(report, "barge_in.max"), 30);
    assert.equal(metricValue(report, "cycles_per_sec"), 2.7);
    assert.equal(metricValue(report, "errors"), 2);
    assert.equal(metricValue(report, "by_type.long.e2e.p95"), 4740.1);
    assert.throws(() => metricValue(report, "nope"), UsageError);
  });
});
