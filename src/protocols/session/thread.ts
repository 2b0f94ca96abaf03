// A session node on a worker thread, for `run`'s embedded target: its timing and the client's
// measurements each keep their own event loop, as the HTTP emulator's do (src/emulator/worker.ts),
// while the node still lives and dies with the run's process.
import { Worker } from "node:worker_threads";
import { RunError } from "../../errors.js";
import type { SessionNodeOptions } from "./node.js";

export interface SessionNodeThread {
  url: string;
  close(): Promise<void>;
}

type FromWorker = { kind: "listening"; url: string } | { kind: "failed"; message: string };

const ENTRY = new URL("./thread-entry.js", import.meta.url);

export function startSessionNodeThread(options: Omit<SessionNodeOptions, "onError">): Promise<SessionNodeThread> {
  // No inherited flags: some (--input-type) are refused by workers, and none are needed there.
  const worker = new Worker(ENTRY, { workerData: options, execArgv: [] });
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new RunError(`embedded session node stopped (exit code ${code}) before listening`));
    worker.once("exit", onExit);
    worker.once("error", (err) => reject(new RunError(`embedded session node failed: ${err.message}`)));
    worker.once("message", (message: FromWorker) => {
      worker.off("exit", onExit);
      if (message.kind === "failed") return reject(new RunError(message.message));
      const exited = new Promise<void>((done) => worker.once("exit", () => done()));
      resolve({
        url: message.url,
        close: () => {
          worker.postMessage("close");
          return exited;
        },
      });
    });
  });
}
