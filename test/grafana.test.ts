// The Grafana dashboard in dashboards/: valid JSON on a Prometheus datasource variable, seed 002's
// panels present, and every metric a panel queries is one we actually export — checked against a
// live scrape of a run's /metrics and the emulator's /metrics.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { renderProxyMetrics } from "../src/proxy/metrics.js";
import { LiveTrafficProxy } from "../src/proxy/server.js";
import { PrometheusOutput } from "../src/report/prometheus.js";
import type { Report } from "../src/report/types.js";
import { emulatorForSuite } from "./helpers/emulator.js";

const DASHBOARD = resolve(fileURLToPath(import.meta.url), "../../../dashboards/tokenstorm.json");

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Metric names in a PromQL expression: ours or vLLM's, histogram series reduced to their family. */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:tokenstorm_[a-z0-9_]+|vllm:[a-z0-9_:]+)/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|sum|count)$/, ""));
}

/** Families (# TYPE lines) of a Prometheus text exposition. */
function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

describe("Grafana dashboard", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 2, errorRate: 0.2, seed: 3 });

  it("queries only metrics that tokenstorm and the emulator export", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { title: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: string }> } };
    const variable = dashboard.templating.list.find((v) => v.type === "datasource");
    assert.deepEqual(variable && { name: variable.name, query: variable.query }, { name: "datasource", query: "prometheus" });

    const panels = allPanels(dashboard.panels).filter((p) => p.type !== "row");
    const titles = panels.map((p) => p.title);
    for (const wanted of ["Concurrent users over time", "Throughput", "Latency vs load", "Latency distribution (TTFT)", "Time to first token", "Inter-token latency", "Errors by class", "Proxy queue", "Proxy queue wait", "Live TTFT by model", "Live ITL by model", "TTFT by turn", "Load generator health", "Arrivals waiting for a slot"]) {
      assert.ok(titles.includes(wanted), `panel "${wanted}" (have: ${titles.join(", ")})`);
    }

    /** A run with `flags` against the emulator, and its /metrics as scraped once it had finished. */
    const scrapedRun = async (flags: RawRunFlags): Promise<{ text: string; report: Report }> => {
      const exporter = await PrometheusOutput.start({ host: "127.0.0.1", port: 0, lingerS: 3 });
      const run = runLoadTest({ config: resolveRunConfig({ target: emulator().url, quiet: true, ...flags }, {}), outputs: [exporter] });
      let text = "";
      for (let attempt = 0; attempt < 100 && !/^tokenstorm_run_finished 1$/m.test(text); attempt++) {
        await sleep(100);
        text = await fetch(exporter.url).then((r) => r.text());
      }
      const { report } = await run;
      assert.match(text, /^tokenstorm_run_finished 1$/m, "scraped the finished run");
      return { text, report };
    };
    // A live scrape of a staged-users run (so active users are exported) with some injected errors,
    // and of a multi-turn run (its per-turn series).
    const { text: runText, report } = await scrapedRun({ users: "3", rampUp: "0.5", hold: "0.5", length: "5" });
    assert.ok(report.summary.failed > 0, "errors were injected");
    const { text: turnsText } = await scrapedRun({ turns: "2", clients: "2", cycles: "1", length: "3" });
    // An open model that queues at its cap (the waiting-arrivals gauge).
    const { text: queueText } = await scrapedRun({ pattern: "constant", rps: "20", requests: "5", maxConcurrent: "1", queueWhenFull: true, length: "3" });
    const emulatorText = await fetch(`${emulator().url}/metrics`).then((r) => r.text());
    // The live-traffic row: a proxy's /metrics after one stream went through it.
    const rows = allPanels(dashboard.panels).filter((p) => p.type === "row").map((p) => p.title);
    assert.ok(rows.some((title) => /^Live traffic/.test(title)), `a live traffic row (have: ${rows.join(", ")})`);
    let proxy: LiveTrafficProxy | null = null;
    const proxyExporter = await PrometheusOutput.start({ host: "127.0.0.1", port: 0, lingerS: 0, extra: () => (proxy ? renderProxyMetrics(proxy) : "") });
    proxy = await LiveTrafficProxy.start({ host: "127.0.0.1", port: 0, upstream: new URL(emulator().url), maxUpstream: 2, maxQueue: 10, idleTimeoutMs: 10_000, outputs: [proxyExporter], config: {} });
    let streamed = 0;
    for (let attempt = 0; attempt < 20 && streamed === 0; attempt++) {
      // The emulator injects errors into a fifth of the requests: retry until one streams.
      const response = await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 3 }) });
      if (response.ok && (await response.text()).endsWith("[DONE]\n\n")) streamed++;
    }
    const proxyText = await fetch(proxyExporter.url).then((r) => r.text());
    await proxy.stop(1, false);
    const exported = new Set([...families(runText), ...families(turnsText), ...families(queueText), ...families(emulatorText), ...families(proxyText)]);
    assert.ok(exported.has("tokenstorm_active_users") && exported.has("vllm:num_requests_running"));

    for (const panel of panels) {
      assert.equal(panel.datasource?.uid, "${datasource}", `${panel.title}: on the datasource variable`);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: has queries`);
      for (const target of panel.targets!) {
        const names = metricsIn(target.expr);
        assert.ok(names.length > 0, `${panel.title}: "${target.expr}" names a metric`);
        for (const name of names) assert.ok(exported.has(name), `${panel.title}: ${name} is not exported`);
      }
    }
  });
});
