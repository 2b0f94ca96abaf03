// One-time warm-up of a protocol driver inside this process, against a throwaway emulator on a free
// loopback port: undici compiles its HTTP parser (WebAssembly) on the first connection and V8
// compiles the driver's hot paths on first use — together tens of milliseconds that would otherwise
// land in the first wave's connect time and TTFT. No traffic reaches the target.
import { exerciseDriver } from "../exercise.js";
import type { ProtocolDefinition } from "../types.js";

const REQUESTS = 100;
const CONCURRENCY = 25;
const warmed = new Map<string, Promise<void>>();

async function warmUpOnce(protocol: ProtocolDefinition): Promise<void> {
  // Loaded here, not on import: a run that skips the warm-up keeps the emulator out of this thread.
  const { startEmulator } = await import("../../emulator/index.js");
  const scratch = await startEmulator({ host: "127.0.0.1", port: 0, ttftMs: 0, itlMs: 0, seed: 1, warmUp: false, ndjsonCompletions: protocol.name === "ndjson" });
  try {
    await exerciseDriver(protocol, scratch.url, {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      includeUsage: true,
      exactTokens: true,
      request: () => ({ type: "warm-up", prompt: "warm up", maxTokens: 24 }),
    });
  } finally {
    await scratch.close();
  }
}

/** Warm a protocol's driver once per process; later calls share the first one's promise. */
export function warmUpDriver(protocol: ProtocolDefinition): Promise<void> {
  let pending = warmed.get(protocol.name);
  if (!pending) {
    pending = warmUpOnce(protocol);
    warmed.set(protocol.name, pending);
  }
  return pending;
}
