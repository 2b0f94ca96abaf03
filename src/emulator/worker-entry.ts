// Worker-thread side of the embedded emulator (see worker.ts): start, report the URL, close on request.
import { parentPort, workerData } from "node:worker_threads";
import { UsageError } from "../errors.js";
import type { EmulatorOptions } from "./options.js";
import { startEmulator } from "./server.js";

const port = parentPort!;
try {
  const emulator = await startEmulator(workerData as EmulatorOptions);
  port.on("message", async () => {
    await emulator.close();
    port.close();
  });
  port.postMessage({ kind: "listening", url: emulator.url, grpcUrl: emulator.grpcUrl });
} catch (err) {
  port.postMessage({ kind: "failed", message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  port.close();
}
