// The target `run --protocol session` starts when no --target is given: one node that is both API and
// gateway, linked by the in-process broker, on a worker thread, timed by --ttft / --delay / --length.
import type { RunConfig } from "../../config/run-config.js";
import type { EmbeddedTarget } from "../types.js";
import { startSessionNodeThread } from "./thread.js";

export const DEFAULT_LENGTH = 100;
export const DEFAULT_PING_INTERVAL_S = 25;

export async function startEmbeddedSession(config: RunConfig): Promise<EmbeddedTarget> {
  const node = await startSessionNodeThread({
    host: "127.0.0.1",
    port: 0,
    role: "all",
    broker: { kind: "in-process" },
    defaults: { length: config.length ?? DEFAULT_LENGTH, delayMs: config.delayS * 1000, ttftMs: config.ttftS * 1000 },
    apiKey: null,
    pingIntervalS: DEFAULT_PING_INTERVAL_S,
    preciseTiming: true,
  });
  return {
    url: node.url,
    description: `embedded session node (API + gateway, in-process broker) on ${node.url} (ttft ${config.ttftS * 1000} ms, delay ${config.delayS * 1000} ms)`,
    close: () => node.close(),
  };
}
