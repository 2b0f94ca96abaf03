// `run --workers N`: N child processes of our own CLI on this machine, one segment each, against one
// target (with no --target, ONE embedded emulator started here for all of them). The parent shows
// their merged live progress, replays their raw lines into its own outputs and merges the reports.
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RawRunFlags, RunConfig } from "../config/run-config.js";
import { startEmbeddedTarget } from "../engine/embedded.js";
import { emulatorBlock, readEmulatorStats } from "../engine/emulator-stats.js";
import { loadClientTls } from "../protocols/tls.js";
import { RunError } from "../errors.js";
import { claimEarlySignal } from "../early-signals.js";
import { findProtocol } from "../protocols/registry.js";
import type { Output } from "../report/output.js";
import type { RequestRecord } from "../report/types.js";
import { Coordinator, wholeRunReportConfig, type CoordinatorOutcome } from "./coordinator.js";
import type { ParentMessage } from "./ipc.js";
import { workerFlags, type WorkerMessage } from "./protocol.js";
import { formatSegment } from "./segment.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
/** Time for every child to load and say hello, and again to warm up and say ready. */
const START_TIMEOUT_MS = 60_000;
/** Between the last worker's ready and the common start: time for the start message to arrive. */
const START_DELAY_MS = 100;

export interface ControllerInputs {
  config: RunConfig;
  flags: RawRunFlags;
  outputs: Output[];
  targetHeaders: Record<string, string>;
  log(line: string): void;
}

/** Resolves when every child has sent a message of `kind` (or ended); rejects after the timeout. */
function waitForAll(children: ChildProcess[], kinds: ReadonlyArray<WorkerMessage["kind"]>): Promise<void> {
  const answers = children.map(
    (child, i) =>
      new Promise<void>((resolve, reject) => {
        const onMessage = (message: WorkerMessage): void => {
          if (!kinds.includes(message.kind)) return;
          child.off("message", onMessage);
          resolve();
        };
        child.on("message", onMessage);
        // After the plans, a worker that ends is a missing segment, not a failed start.
        child.once("exit", (code) => (kinds.includes("hello") ? reject(new RunError(`worker ${i + 1} exited (code ${code}) before starting`)) : resolve()));
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RunError(`workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  return Promise.race([Promise.all(answers), timeout]).then(() => clearTimeout(timer));
}

/**
 * Feed the workers' raw lines to the outputs that take per-request records (raw, CSV...), segment
 * after segment. Record ids restart in every segment; id * N + (i - 1) keeps them unique. A worker
 * killed in the middle of a write may leave a torn last line: the whole lines before it still count.
 * Returns how many torn lines were skipped.
 */
export async function replayRequests(paths: string[], outputs: readonly Output[]): Promise<number> {
  const consumers = outputs.filter((o) => o.onRequest);
  let torn = 0;
  if (consumers.length === 0) return torn;
  for (const [i, path] of paths.entries()) {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line === "") continue;
        let record: RequestRecord;
        try {
          record = JSON.parse(line) as RequestRecord;
        } catch {
          torn++;
          continue;
        }
        record.id = record.id * paths.length + i;
        for (const output of consumers) output.onRequest!(record);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return torn;
}

export async function runWithLocalWorkers(inputs: ControllerInputs): Promise<CoordinatorOutcome> {
  const { config, outputs, log } = inputs;
  const count = config.distributed.workers;
  const embedded = config.target === null ? await startEmbeddedTarget(findProtocol(config.protocol), config) : null;
  const target = embedded?.url ?? config.target!;
  if (embedded) log(`tokenstorm: ${embedded.description}, shared by ${count} workers`);
  // As in a single process: the emulator's own timing error for the run, from its /stats.
  const readsEmulator = embedded !== null || config.emulatorStats;
  const tls = loadClientTls(config.tls).tls ?? undefined;
  const emulatorBefore = readsEmulator ? await readEmulatorStats(target, tls, config.http2) : null;
  const wantsRaw = outputs.some((o) => o.onRequest);
  // The workers' raw lines wait here until the end; each worker removes the folder if this process
  // is killed first (src/distributed/ipc-worker.ts), so none is left behind.
  let folder: string | null = null;
  let rawPaths: string[] = [];
  const coordinator = new Coordinator({ segmentCount: count, outputs, thresholds: config.thresholds, log });
  const children = Array.from({ length: count }, () => fork(CLI, ["worker", "--ipc"], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  let planned = false;
  const closed = children.map((child, i) => new Promise<void>((resolve) => child.once("close", (code, signal) => {
    if (planned) coordinator.markLost(formatSegment({ index: i + 1, count }), `worker exited (${signal ?? `code ${code}`}) without a report`);
    resolve();
  })));

  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    log("\ntokenstorm: stopping the workers, merging partial results (again to quit at once)");
    for (const child of children) if (child.connected) child.send({ kind: "stop" } satisfies ParentMessage);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Ctrl-C while the program was still loading counts as the first.
  if (claimEarlySignal() !== null) onSignal();
  try {
    await waitForAll(children, ["hello"]);
    if (wantsRaw) {
      const made = await mkdtemp(join(tmpdir(), "tokenstorm-workers-"));
      folder = made;
      rawPaths = Array.from({ length: count }, (_, i) => join(made, `requests-${i + 1}.ndjson`));
    }
    const settled = { target, seed: config.seed, length: config.length, exactTokens: config.exactTokens, closedModel: config.pattern === null && config.stages === null };
    const flags = workerFlags(inputs.flags, settled);
    const runId = randomUUID();
    children.forEach((child, i) => {
      child.on("message", (message: WorkerMessage) => coordinator.onMessage(message));
      const plan = {
        runId,
        flags,
        segment: { index: i + 1, count },
        // The parent's own target: no hint headers for the embedded emulator, else the user's.
        targetHeaders: embedded ? {} : inputs.targetHeaders,
        startAtUnixMs: 0,
        rawPath: rawPaths[i] ?? null,
      };
      child.send({ kind: "plan", plan } satisfies ParentMessage);
    });
    planned = true;
    // Every worker resolves its flags and warms its driver up, then all start together.
    await waitForAll(children, ["ready", "failed"]);
    const startAtUnixMs = Date.now() + START_DELAY_MS;
    for (const child of children) if (child.connected) child.send({ kind: "start", atUnixMs: startAtUnixMs } satisfies ParentMessage);
    coordinator.startProgress(startAtUnixMs);
    await Promise.all(closed);
    const torn = await replayRequests(rawPaths, outputs);
    if (torn > 0) log(`tokenstorm: ${torn} raw line(s) cut off by a killed worker were left out`);
    const emulatorAfter = emulatorBefore ? await readEmulatorStats(target, tls, config.http2) : null;
    const emulator = emulatorBefore && emulatorAfter ? emulatorBlock(emulatorBefore, emulatorAfter) : null;
    return await coordinator.finish(wholeRunReportConfig(config, target, embedded !== null), emulator);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (folder !== null) await rm(folder, { recursive: true, force: true });
    await embedded?.close();
  }
}
