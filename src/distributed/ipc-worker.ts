// A local worker process (`tokenstorm worker --ipc`, forked by `run --workers N`): says hello, runs
// the segment its parent hands it, feeds progress and the report back over the IPC channel.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import type { WorkerMessage } from "./protocol.js";
import type { ParentMessage } from "./ipc.js";
import { runSegment } from "./segment-runner.js";
import type { WorkPlan } from "./protocol.js";

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, undefined, () => resolve());
  });
}

export async function runIpcWorker(): Promise<number> {
  if (!process.send) throw new Error("--ipc: this process was not started by `tokenstorm run --workers`");
  const name = `worker pid ${process.pid}`;
  // Ctrl-C reaches the parent and every worker at once; the parent's stop message must not count
  // as a second interrupt (which quits without a report).
  let interrupted = false;
  process.prependListener("SIGINT", () => (interrupted = true));
  process.prependListener("SIGTERM", () => (interrupted = true));
  let startAt: (atUnixMs: number | null) => void = () => undefined;
  const started = new Promise<number | null>((resolve) => (startAt = resolve));
  const plan = new Promise<WorkPlan>((resolve) => {
    process.on("message", (message: ParentMessage) => {
      if (message.kind === "plan") resolve(message.plan);
      else if (message.kind === "start") startAt(message.atUnixMs);
      else if (message.kind === "stop" && !interrupted) {
        // Before the start, a stop calls the segment off.
        startAt(null);
        process.emit("SIGINT", "SIGINT");
      }
    });
  });
  await send({ kind: "hello", name });
  // The parent gone (killed) leaves nobody to report to, nor to remove the raw lines' folder.
  let rawFolder: string | null = null;
  process.on("disconnect", () => {
    if (rawFolder !== null) rmSync(rawFolder, { recursive: true, force: true });
    process.exit(1);
  });
  const workPlan = await plan;
  if (workPlan.rawPath !== null) rawFolder = dirname(workPlan.rawPath);
  const code = await runSegment({ plan: workPlan, name, send, startAt: () => started });
  process.removeAllListeners("disconnect");
  process.disconnect();
  return code;
}
