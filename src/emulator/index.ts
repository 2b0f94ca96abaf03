// Public face of the emulator: start one in-process, read its stats, and the types to configure it.
export { startEmulator, type RunningEmulator } from "./server.js";
export { type EmulatorOptions, type TextMode, TEXT_MODES } from "./options.js";
export type { EmulatorStats } from "./stats.js";
export type { LatencySummary } from "../metrics/histogram.js";
export { OVERRIDE_HEADERS } from "./overrides.js";
export { TimingWheel, WheelTask } from "./timing-wheel.js";
