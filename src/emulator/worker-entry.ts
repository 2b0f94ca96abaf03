// Worker-thread side of the embedded emulator (see worker.ts): warm up (with the run's driver warm-up
// beside it on the same scratch emulator, when asked), start, report the URL, close on request.
import { parentPort, workerData } from "node:worker_threads";
import { UsageError } from "../errors.js";
import { startEmulator } from "./server.js";
import { FULL_ROUNDS, LIGHT_ROUNDS, warmUpEmulatorCode } from "./warm-up.js";
import type { EmulatorThreadData } from "./worker.js";

const port = parentPort!;
const { options, clientWarmUp } = workerData as EmulatorThreadData;

/** The parent thread's driver warm-up against `url`: resolves when it says it is done. */
function parentWarmUp(url: string): Promise<void> {
  return new Promise((resolve) => {
    port.once("message", () => resolve());
    port.postMessage({ kind: "scratch", url });
  });
}

try {
  if (options.warmUp !== false || clientWarmUp) {
    const rounds = options.warmUp === false ? 0 : options.warmUp === "light" ? LIGHT_ROUNDS : FULL_ROUNDS;
    await warmUpEmulatorCode((scratchOptions) => startEmulator(scratchOptions), { rounds, ...(clientWarmUp ? { alongside: parentWarmUp } : {}) });
  }
  const emulator = await startEmulator({ ...options, warmUp: false });
  port.on("message", async () => {
    await emulator.close();
    port.close();
  });
  port.postMessage({ kind: "listening", url: emulator.url, grpcUrl: emulator.grpcUrl });
} catch (err) {
  port.postMessage({ kind: "failed", message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  port.close();
}
