// The embedded emulator of `tokenstorm run`, on a worker thread: it keeps its own event loop, so
// its timing wheel and the client's measurements do not wait on each other as they would on one
// thread, while it still lives and dies with the run's process.
import { Worker } from "node:worker_threads";
import { RunError, UsageError } from "../errors.js";
import type { EmulatorOptions } from "./options.js";

export interface EmbeddedEmulator {
  url: string;
  /** The gRPC voice gateway when `grpcPort` was given. */
  grpcUrl: string | null;
  close(): Promise<void>;
}

type FromWorker = { kind: "listening"; url: string; grpcUrl: string | null } | { kind: "failed"; message: string; usage: boolean } | { kind: "closed" };

const ENTRY = new URL("./worker-entry.js", import.meta.url);

export function startEmulatorThread(options: EmulatorOptions): Promise<EmbeddedEmulator> {
  // No inherited flags: some (--input-type) are refused by workers, and none are needed there.
  const worker = new Worker(ENTRY, { workerData: options, execArgv: [] });
  return new Promise((resolve, reject) => {
    const onExit = (code: number): void => reject(new RunError(`embedded emulator stopped (exit code ${code}) before listening`));
    worker.once("exit", onExit);
    worker.once("error", (err) => reject(new RunError(`embedded emulator failed: ${err.message}`)));
    worker.once("message", (message: FromWorker) => {
      worker.off("exit", onExit);
      if (message.kind === "failed") {
        reject(message.usage ? new UsageError(message.message) : new RunError(message.message));
        return;
      }
      if (message.kind !== "listening") return;
      const exited = new Promise<void>((done) => worker.once("exit", () => done()));
      resolve({
        url: message.url,
        grpcUrl: message.grpcUrl,
        close: () => {
          worker.postMessage("close");
          return exited;
        },
      });
    });
  });
}
