// Public face of the streaming-overhead check (seed 004): the measurement and its types.
export { measureStreamingOverhead } from "./measure.js";
export { OVERHEAD_DEFAULTS, type OverheadOptions, type OverheadProtocol } from "./options.js";
export type { GapFigures, GapPercentiles, OverheadResult, StreamFigures } from "./result.js";
