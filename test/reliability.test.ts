// Nothing lost, nothing left behind (issue 15, part A): a killed `--workers` child's finished requests
// stay in the raw file, a killed parent leaves no temporary folder, and the tests' own temporary
// folders go away with the test process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { replayRequests } from "../src/distributed/local.js";
import { PrometheusOutput } from "../src/report/prometheus.js";
import { WebViewOutput } from "../src/report/web.js";
import type { Output } from "../src/report/output.js";
import type { RequestRecord } from "../src/report/types.js";
import { collect, startCli, tempDir } from "./helpers/cli.js";
import { getWithHost } from "./helpers/host-header.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Process ids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l.endsWith("}")).length : 0;
}

/** The `tokenstorm-workers-*` folder under `root` once every worker has written `minLines` raw lines. */
async function workersFolder(root: string, workers: number, minLines: number): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    const folder = readdirSync(root).find((name) => name.startsWith("tokenstorm-workers-"));
    if (folder) {
      const path = join(root, folder);
      const counts = Array.from({ length: workers }, (_, i) => lineCount(join(path, `requests-${i + 1}.ndjson`)));
      if (counts.every((n) => n >= minLines)) return path;
    }
    await sleep(100);
  }
  throw new Error("the workers wrote no raw lines within 60 s");
}

const workerRun = (durationS: number): string[] => ["run", "--workers", "2", "--duration", String(durationS), "--clients", "4", "--length", "5", "--delay", "0.02", "--raw", "r.ndjson", "--no-save", "--quiet"];

test("run --workers 2 --raw, one worker killed with SIGKILL: the lines it finished are in the raw file", async () => {
  const cwd = tempDir();
  const child = startCli(workerRun(6), { cwd, env: { TMPDIR: cwd } });
  const done = collect(child, 60_000);
  const folder = await workersFolder(cwd, 2, 5);
  const [victim] = childrenOf(child.pid!);
  assert.ok(victim, "a worker process");
  process.kill(victim, "SIGKILL");
  const result = await done;
  assert.equal(result.code, 1, result.stderr);
  const lost = /segment (\d)\/2 \(worker pid (\d+)\) missing/.exec(result.stderr);
  assert.ok(lost, result.stderr);
  assert.equal(Number(lost[2]), victim);
  assert.ok(!existsSync(folder), "the parent removed its folder");
  const records = readFileSync(join(cwd, "r.ndjson"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as RequestRecord);
  // Ids are interleaved by segment: id * 2 + (segment - 1).
  const fromVictim = records.filter((r) => r.id % 2 === Number(lost[1]) - 1);
  assert.ok(fromVictim.length >= 5, `${fromVictim.length} lines of the killed worker's segment`);
  assert.ok(records.length > fromVictim.length, "and the survivor's lines");
});

test("a worker's raw file torn by SIGKILL mid-line: the whole lines before it are replayed", async () => {
  const folder = tempDir();
  const line = (id: number): string => JSON.stringify({ id, ok: true });
  writeFileSync(join(folder, "requests-1.ndjson"), `${line(0)}\n${line(1)}\n${line(2)}\n{"id":3,"ok":tr`);
  writeFileSync(join(folder, "requests-2.ndjson"), `${line(0)}\n`);
  const seen: number[] = [];
  const output: Output = { name: "probe", onRequest: (record) => seen.push(record.id), finish: async () => undefined };
  const torn = await replayRequests([join(folder, "requests-1.ndjson"), join(folder, "requests-2.ndjson"), join(folder, "absent.ndjson")], [output]);
  assert.equal(torn, 1);
  assert.deepEqual(seen, [0, 3, 6, 1]);
});

test("the --workers parent killed with SIGKILL: its workers remove the tokenstorm-workers-* folder", async () => {
  const cwd = tempDir();
  const child = startCli(workerRun(30), { cwd, env: { TMPDIR: cwd } });
  const done = collect(child, 60_000);
  const folder = await workersFolder(cwd, 2, 1);
  const workers = childrenOf(child.pid!);
  assert.equal(workers.length, 2);
  child.kill("SIGKILL");
  await done;
  for (let waited = 0; waited < 15_000 && (existsSync(folder) || workers.some((pid) => existsSync(`/proc/${pid}`))); waited += 100) await sleep(100);
  assert.deepEqual(workers.filter((pid) => existsSync(`/proc/${pid}`)), [], "the workers ended with their parent");
  assert.deepEqual(readdirSync(cwd).filter((name) => name.startsWith("tokenstorm-workers-")), []);
});

test("tempDir()'s folders are removed when the test process ends", () => {
  const helper = pathToFileURL(join(import.meta.dirname, "helpers", "cli.js")).href;
  const script = `import { tempDir } from ${JSON.stringify(helper)}; const a = tempDir(); const b = tempDir(); (await import("node:fs")).writeFileSync(b + "/x", "1"); console.log(a); console.log(b);`;
  const made = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  const folders = made.stdout.trim().split("\n");
  assert.equal(folders.length, 2);
  for (const folder of folders) assert.ok(!existsSync(folder), `${folder} left behind`);
});

test("/metrics and the live page answer only Host names of this machine, or names allowed (DNS rebinding)", async () => {
  const exporter = await PrometheusOutput.start({ host: "127.0.0.1", port: 0, lingerS: 0 });
  const view = await WebViewOutput.start({ host: "127.0.0.1", port: 0, lingerS: 0, allowedHosts: ["dash.internal"] });
  const open = await PrometheusOutput.start({ host: "127.0.0.1", port: 0, lingerS: 0, allowedHosts: ["*"] });
  try {
    const port = new URL(exporter.url).port;
    assert.equal(await getWithHost(exporter.url, `127.0.0.1:${port}`), 200);
    assert.equal(await getWithHost(exporter.url, `localhost:${port}`), 200);
    assert.equal(await getWithHost(exporter.url, `[::1]:${port}`), 200);
    assert.equal(await getWithHost(exporter.url, `attacker.example:${port}`), 403);
    assert.equal(await getWithHost(exporter.url, "attacker.example"), 403);
    assert.equal(await getWithHost(view.url, `attacker.example:${new URL(view.url).port}`), 403);
    assert.equal(await getWithHost(view.url, `DASH.internal:${new URL(view.url).port}`), 200);
    assert.equal(await getWithHost(open.url, "anything.example"), 200);
  } finally {
    await Promise.all([exporter.close(), view.close(), open.close()]);
  }
});
