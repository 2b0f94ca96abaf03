// An in-process emulator for the tests of one suite: started before them, closed after them.
import { after, before } from "node:test";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/index.js";

/** Call inside a describe(); the returned getter gives the running emulator inside its tests. */
export function emulatorForSuite(options: EmulatorOptions): () => RunningEmulator {
  let emulator: RunningEmulator | undefined;
  before(async () => {
    emulator = await startEmulator({ port: 0, ...options });
  });
  after(async () => {
    await emulator?.close();
  });
  return () => emulator!;
}
