// How much one-time warm-up a run gets. The HTTP driver's warm-up (100 requests in this thread) and
// the embedded emulator's (280 on its thread) are there so that V8 has compiled and optimised the hot
// paths before the first wave of a real run, where tens of concurrent requests would each carry a cold
// JIT. A run of a request or two has no such wave: it gets a light warm-up instead (4 driver requests,
// one emulator round of every route), which still runs every code path once (lazy compilation, the
// HTTP parser's WebAssembly), for a small part of the CPU.
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
