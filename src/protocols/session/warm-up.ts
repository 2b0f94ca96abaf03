// One-time warm-up of the session driver inside this process, against a throwaway in-process node:
// the first WebSocket handshakes, JSON paths and undici's parser compile here instead of inside the
// first wave's connect time and TTFT. No traffic reaches the target.
import { exerciseDriver } from "../exercise.js";
import type { ProtocolDefinition } from "../types.js";
import { startSessionNode } from "./node.js";

const CLIENTS = 8;
const CYCLES = 5;
let warmed: Promise<void> | undefined;

async function warmUpOnce(protocol: ProtocolDefinition): Promise<void> {
  const node = await startSessionNode({
    host: "127.0.0.1",
    port: 0,
    role: "all",
    broker: { kind: "in-process" },
    defaults: { length: 8, delayMs: 0, ttftMs: 0 },
    apiKey: null,
    pingIntervalS: 25,
    preciseTiming: false,
  });
  try {
    await exerciseDriver(protocol, node.url, {
      requests: CLIENTS * CYCLES,
      concurrency: CLIENTS,
      includeUsage: false,
      exactTokens: true,
      request: () => ({ type: "warm-up", prompt: "", maxTokens: 8 }),
    });
  } finally {
    await node.close();
  }
}

/** Warm once per process; later calls share the first one's promise. */
export function warmUpSession(protocol: ProtocolDefinition): Promise<void> {
  warmed ??= warmUpOnce(protocol);
  return warmed;
}
