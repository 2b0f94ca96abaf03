// Worker-thread side of the embedded session node (see thread.ts): start, report the URL, close on request.
import { parentPort, workerData } from "node:worker_threads";
import { type SessionNodeOptions, startSessionNode } from "./node.js";

const port = parentPort!;
try {
  const node = await startSessionNode(workerData as SessionNodeOptions);
  port.on("message", async () => {
    await node.close();
    port.close();
  });
  port.postMessage({ kind: "listening", url: node.url });
} catch (err) {
  port.postMessage({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
  port.close();
}
