// One-time warm-up of a protocol driver inside this process: undici compiles its HTTP parser
// (WebAssembly) on the first connection and V8 compiles the driver's hot paths on first use —
// together tens of milliseconds that would otherwise land in the first wave's connect time and TTFT.
// It runs against a throwaway emulator: the embedded emulator's scratch one on its worker thread
// when there is one (src/emulator/worker.ts), else one started here on a free loopback port. No
// traffic reaches the target. A run of a request or two asks for a light warm-up (every code path
// once, src/engine/warm-up-rule.ts).
import { exerciseDriver } from "../exercise.js";
import type { ProtocolDefinition } from "../types.js";

const FULL = { requests: 100, concurrency: 25 };
const LIGHT = { requests: 4, concurrency: 2 };
const warmed = new Map<string, Promise<void>>();

export interface DriverWarmUpOptions {
  /** A scratch emulator to warm up on; absent: start one in this thread. */
  url?: string;
  light?: boolean;
}

async function warmUpOnce(protocol: ProtocolDefinition, options: DriverWarmUpOptions): Promise<void> {
  const size = options.light ? LIGHT : FULL;
  const exercise = (url: string): Promise<void> =>
    exerciseDriver(protocol, url, {
      ...size,
      includeUsage: true,
      exactTokens: true,
      request: () => ({ type: "warm-up", prompt: "warm up", maxTokens: 24 }),
    });
  if (options.url !== undefined) return exercise(options.url);
  // Loaded here, not on import: a run warming up on the embedded emulator's thread keeps the emulator out of this one.
  const { startEmulator } = await import("../../emulator/index.js");
  const scratch = await startEmulator({ host: "127.0.0.1", port: 0, ttftMs: 0, itlMs: 0, seed: 1, warmUp: false, realtimeOnDemand: true, ndjsonCompletions: protocol.name === "ndjson" });
  try {
    await exercise(scratch.url);
  } finally {
    await scratch.close();
  }
}

/** Warm a protocol's driver once per process; later calls share the first one's promise (and its size). */
export function warmUpDriver(protocol: ProtocolDefinition, options: DriverWarmUpOptions = {}): Promise<void> {
  let pending = warmed.get(protocol.name);
  if (!pending) {
    pending = warmUpOnce(protocol, options);
    warmed.set(protocol.name, pending);
  }
  return pending;
}
