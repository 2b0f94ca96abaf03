// The server `run` talks to when no --target is given: the protocol's own embedded server when it
// has one, else the HTTP emulator on a worker thread, timed by --ttft / --delay / --length.
import type { RunConfig } from "../config/run-config.js";
import type { EmulatorOptions } from "../emulator/options.js";
import { startEmulatorThread } from "../emulator/worker.js";
import type { EmbeddedTarget, ProtocolDefinition } from "../protocols/types.js";

async function startHttpEmulator(config: RunConfig, protocolName: string): Promise<EmbeddedTarget> {
  const options: EmulatorOptions = {
    host: "127.0.0.1",
    port: 0,
    ttftMs: config.ttftS * 1000,
    itlMs: config.delayS * 1000,
    length: config.length ?? undefined,
    ndjsonCompletions: protocolName === "ndjson",
    ...(config.seed !== null ? { seed: config.seed } : {}),
    // It counts prompt tokens as the run does: prompts built to N tokens read N tokens on both sides.
    ...(config.tokenizer !== null ? { tokenizer: config.tokenizer } : {}),
  };
  // Several processes (--emulator-workers): a fleet whose primary is this process.
  const emulator = config.emulatorWorkers > 1 ? await (await import("../emulator/fleet.js")).startEmulatorFleet(options, config.emulatorWorkers) : await startEmulatorThread(options);
  const processes = config.emulatorWorkers > 1 ? `, ${config.emulatorWorkers} processes` : "";
  return {
    url: emulator.url,
    description: `embedded emulator on ${emulator.url} (ttft ${config.ttftS * 1000} ms, itl ${config.delayS * 1000} ms${processes})`,
    close: () => emulator.close(),
  };
}

export function startEmbeddedTarget(protocol: ProtocolDefinition, config: RunConfig): Promise<EmbeddedTarget> {
  return protocol.startEmbedded ? protocol.startEmbedded(config) : startHttpEmulator(config, protocol.name);
}
