// The server `run` talks to when no --target is given: the protocol's own embedded server when it
// has one, else the HTTP emulator on a worker thread, timed by --ttft / --delay / --length. Started
// together with the one-time warm-up of this thread's driver. A run of a request or two (the light
// warm-up's runs, ./warm-up-rule.ts) serves the emulator on the run's thread instead: a second V8
// isolate would cost such a run a quarter of its CPU and a sixth of its memory, and with two streams
// at most, sharing the loop costs little: the request reaches the emulator about 0.8 ms later and
// its first token 0.4 ms later (the wheel's precise sleeps also hold the client's reads, 0.25 ms at most).
import type { RunConfig } from "../config/run-config.js";
import type { EmulatorOptions } from "../emulator/options.js";
import type { RunningEmulator } from "../emulator/server.js";
import { warmUpDriver } from "../protocols/http/warm-up.js";
import type { EmbeddedTarget, ProtocolDefinition } from "../protocols/types.js";
import { lightWarmUp } from "./warm-up-rule.js";

/** A light run's emulator, on this thread: warmed up once, with the driver's warm-up beside it on the same scratch emulator. */
async function startEmulatorHere(options: EmulatorOptions, warmUpClient?: (url: string) => Promise<void>): Promise<RunningEmulator> {
  const [{ startEmulator }, { warmUpEmulatorCode, LIGHT_ROUNDS }] = await Promise.all([import("../emulator/server.js"), import("../emulator/warm-up.js")]);
  await warmUpEmulatorCode((scratch) => startEmulator(scratch), { rounds: LIGHT_ROUNDS, ...(warmUpClient ? { alongside: warmUpClient } : {}) });
  return startEmulator({ ...options, warmUp: false });
}

async function startHttpEmulator(config: RunConfig, protocolName: string, warmUpClient?: (url: string) => Promise<void>): Promise<EmbeddedTarget> {
  const options: EmulatorOptions = {
    host: "127.0.0.1",
    port: 0,
    ttftMs: config.ttftS * 1000,
    itlMs: config.delayS * 1000,
    length: config.length ?? undefined,
    ndjsonCompletions: protocolName === "ndjson",
    warmUp: lightWarmUp(config) ? "light" : true,
    // Its clients are this run's HTTP driver: the realtime endpoint's WebSocket server loads only if asked for.
    realtimeOnDemand: true,
    ...(config.seed !== null ? { seed: config.seed } : {}),
    // It counts prompt tokens as the run does: prompts built to N tokens read N tokens on both sides.
    ...(config.tokenizer !== null ? { tokenizer: config.tokenizer } : {}),
  };
  // Several processes (--emulator-workers): a fleet whose primary is this process.
  const here = config.emulatorWorkers === 1 && lightWarmUp(config);
  const emulator =
    config.emulatorWorkers > 1
      ? await (await import("../emulator/fleet.js")).startEmulatorFleet(options, config.emulatorWorkers)
      : here
        ? await startEmulatorHere(options, warmUpClient)
        : await (await import("../emulator/worker.js")).startEmulatorThread(options, warmUpClient);
  const where = config.emulatorWorkers > 1 ? `, ${config.emulatorWorkers} processes` : here ? ", on the run's thread" : "";
  return {
    url: emulator.url,
    description: `embedded emulator on ${emulator.url} (ttft ${config.ttftS * 1000} ms, itl ${config.delayS * 1000} ms${where})`,
    close: () => emulator.close(),
  };
}

export function startEmbeddedTarget(protocol: ProtocolDefinition, config: RunConfig): Promise<EmbeddedTarget> {
  return protocol.startEmbedded ? protocol.startEmbedded(config) : startHttpEmulator(config, protocol.name);
}

/**
 * The embedded target when the run has no --target (null otherwise), with this thread's driver warmed
 * up: on the embedded emulator thread's scratch emulator when there is one, else beside it.
 */
export async function startTargetWarmedUp(protocol: ProtocolDefinition, config: RunConfig): Promise<EmbeddedTarget | null> {
  if (protocol.warmUp) return (await Promise.all([config.target === null ? startEmbeddedTarget(protocol, config) : null, protocol.warmUp()]))[0];
  const light = lightWarmUp(config);
  if (config.target === null && !protocol.startEmbedded && config.emulatorWorkers === 1) {
    return startHttpEmulator(config, protocol.name, (url) => warmUpDriver(protocol, { url, light }));
  }
  return (await Promise.all([config.target === null ? startEmbeddedTarget(protocol, config) : null, warmUpDriver(protocol, { light })]))[0];
}
