// A real Prometheus server (the Debian package) for tests: a temporary config scraping the given
// loopback targets every second, its own storage in a temp dir, its HTTP API queried directly.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../src/cluster/processes.js";

export const PROMETHEUS_PATH = "/usr/bin/prometheus";

export interface RunningPrometheus {
  url: string;
  /** Instant query; the value of each returned series, by the given label (or "" for unlabelled). */
  query(expr: string, byLabel?: string): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

interface QueryResponse {
  status: string;
  error?: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export async function startPrometheus(jobs: Record<string, string[]>): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "tokenstorm-prometheus-"));
  const scrapeConfigs = Object.entries(jobs)
    .map(([job, targets]) => `  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]`)
    .join("\n");
  writeFileSync(join(dir, "prometheus.yml"), `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${scrapeConfigs}\n`);
  const port = await freePort("127.0.0.1");
  const child: ChildProcess = spawn(
    PROMETHEUS_PATH,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const exited = once(child, "exit");
      const timeout = sleep(5000).then(() => child.kill("SIGKILL"));
      await Promise.race([exited, timeout]);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${child.exitCode}): ${log}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 20 s: ${log}`);
    }
    await sleep(200);
  }

  return {
    url,
    stop,
    async query(expr, byLabel) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as QueryResponse;
      if (body.status !== "success") throw new Error(`query ${expr}: ${body.error ?? response.status}`);
      return new Map(body.data.result.map((r) => [byLabel ? (r.metric[byLabel] ?? "") : "", Number(r.value[1])]));
    },
  };
}
