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

/** What the worker is started with (worker-entry.ts). */
export interface EmulatorThreadData {
  options: EmulatorOptions;
  /** Hold the warm-up's scratch emulator open for this thread's driver warm-up (`warmUpClient`). */
  clientWarmUp: boolean;
}

type FromWorker =
  | { kind: "scratch"; url: string }
  | { kind: "listening"; url: string; grpcUrl: string | null }
  | { kind: "failed"; message: string; usage: boolean }
  | { kind: "closed" };

const ENTRY = new URL("./worker-entry.js", import.meta.url);

/**
 * Start the emulator on a worker thread. `warmUpClient`, when given, warms this thread's driver
 * against the worker's own warm-up scratch emulator (before the real one listens), so that this
 * thread does not load an emulator of its own to warm up on.
 */
export function startEmulatorThread(options: EmulatorOptions, warmUpClient?: (url: string) => Promise<void>): Promise<EmbeddedEmulator> {
  const data: EmulatorThreadData = { options, clientWarmUp: warmUpClient !== undefined };
  // No inherited flags: some (--input-type) are refused by workers, and none are needed there.
  const worker = new Worker(ENTRY, { workerData: data, execArgv: [] });
  return new Promise((resolve, reject) => {
    let clientWarmUpFailure: unknown = null;
    const onExit = (code: number): void => reject(new RunError(`embedded emulator stopped (exit code ${code}) before listening`));
    worker.once("exit", onExit);
    worker.once("error", (err) => reject(new RunError(`embedded emulator failed: ${err.message}`)));
    const onMessage = (message: FromWorker): void => {
      if (message.kind === "scratch") {
        // The worker waits for word that this thread is done with its scratch emulator, failed or not.
        warmUpClient!(message.url)
          .catch((err: unknown) => (clientWarmUpFailure = err))
          .finally(() => worker.postMessage("warmed"));
        return;
      }
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      if (message.kind === "failed") {
        reject(message.usage ? new UsageError(message.message) : new RunError(message.message));
        return;
      }
      if (message.kind !== "listening") return;
      const exited = new Promise<void>((done) => worker.once("exit", () => done()));
      const close = (): Promise<void> => {
        worker.postMessage("close");
        return exited;
      };
      if (clientWarmUpFailure !== null) {
        void close().then(() => reject(clientWarmUpFailure));
        return;
      }
      resolve({ url: message.url, grpcUrl: message.grpcUrl, close });
    };
    worker.on("message", onMessage);
  });
}
