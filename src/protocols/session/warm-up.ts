// One-time warm-up of the session driver inside this process, against a throwaway in-process node:
// the first WebSocket handshakes, JSON paths and undici's parser compile here instead of inside the
// first wave's connect time and TTFT. No traffic reaches the target.
import { Collector } from "../../metrics/collector.js";
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
  const collector = new Collector();
  const driver = protocol.create({
    target: new URL(node.url),
    model: "warm-up",
    headers: {},
    timeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    maxConnections: CLIENTS,
    includeUsage: false,
    exactTokens: true,
    onConnect: () => undefined,
  });
  try {
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          const trace = collector.begin("warm-up", client, cycle);
          await driver.execute({ type: "warm-up", prompt: "", maxTokens: 8 }, trace);
          collector.finish(trace);
        }
      }),
    );
  } finally {
    await driver.close();
    await node.close();
  }
}

/** Warm once per process; later calls share the first one's promise. */
export function warmUpSession(protocol: ProtocolDefinition): Promise<void> {
  warmed ??= warmUpOnce(protocol);
  return warmed;
}
