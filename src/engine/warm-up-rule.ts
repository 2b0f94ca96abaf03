// How much one-time warm-up a run gets. The HTTP driver's warm-up (100 requests in this thread) and
// the embedded emulator's (280 on its thread) are there so that V8 has compiled and optimised the hot
// paths before the first wave of a real run, where tens of concurrent requests would each carry a cold
// JIT. A run of a request or two has no such wave: it gets a light warm-up instead (4 driver requests,
// one emulator round of every route), which still runs every code path once (lazy compilation, the
// HTTP parser's WebAssembly), for a small part of the CPU.
import { setFlagsFromString } from "node:v8";
import type { RunConfig } from "../config/run-config.js";

/** Runs planned to send fewer requests than this get the light warm-up. */
export const FULL_WARM_UP_MIN_REQUESTS = 3;

/** The most requests a run can send, when its flags bound them (--requests, or clients x cycles); null: unbounded. */
export function plannedRequests(config: RunConfig): number | null {
  const closed = config.pattern === null && config.stages === null && config.cycles !== null ? config.clients * config.cycles : null;
  const bounds = [config.requests, closed].filter((bound): bound is number => bound !== null);
  return bounds.length === 0 ? null : Math.min(...bounds);
}

/** True when the run is too small to need more than the light warm-ups. */
export function lightWarmUp(config: RunConfig): boolean {
  const planned = plannedRequests(config);
  return planned !== null && planned < FULL_WARM_UP_MIN_REQUESTS;
}

/** V8's dynamic-tiering budget that a light run's process raises out of reach (an int flag). */
const BASELINE_WASM_TIERING_BUDGET = 1_000_000_000;

/**
 * For a process that makes one light run (the CLI's): keep WebAssembly (undici's HTTP parser, the
 * only WebAssembly a run executes) at V8's baseline tier. Its optimising recompile, which V8 starts on
 * a background thread once the parser has run a while, holds about 30 MB for a moment: a quarter of
 * such a run's peak memory, to speed up a parser that reads a few hundred chunks at most. The budget
 * is read when the parser's instance is made (the first connection), and that instance serves the
 * process from then on: so only the CLI calls this, before the run, never the library API.
 */
export function keepWasmAtBaselineTier(): void {
  setFlagsFromString(`--wasm-tiering-budget=${BASELINE_WASM_TIERING_BUDGET}`);
}
