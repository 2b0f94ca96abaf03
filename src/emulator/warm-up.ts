// Once per process, before the first emulator announces itself, a throwaway emulator on a free
// loopback port serves a few hundred quick requests of every protocol: V8 then compiles the hot
// paths before measured traffic arrives, so the first wave of real requests is not slowed by a cold
// JIT (which would show up as false TTFT). The real emulator's counters and RNGs are untouched.
// The requests go through node:http, not undici: the emulator's own process (a worker thread, an
// `emulate` worker) then never loads the HTTP client. A run of a request or two asks for a light
// warm-up (one round: every code path once, src/engine/warm-up-rule.ts); `run`'s own thread may warm
// its driver on the same scratch emulator meanwhile (worker.ts), so that thread never loads the emulator.
import { Agent, request } from "node:http";
import type { EmulatorOptions } from "./options.js";

interface WarmUpTarget {
  path: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const TARGETS: WarmUpTarget[] = [
  { path: "/v1/chat/completions", body: { model: "w", messages: [{ role: "user", content: "warm up" }], stream: true, max_tokens: 16, stream_options: { include_usage: true } } },
  { path: "/v1/completions", body: { model: "w", prompt: "warm up", stream: true, max_tokens: 16 } },
  { path: "/v1/embeddings", body: { model: "w", input: ["warm up", "warm up"] } },
  { path: "/v1/responses", body: { model: "w", input: "warm up", stream: true, max_output_tokens: 16 } },
  { path: "/v1/completions", body: { model: "w", prompt: "warm up", stream: true, max_tokens: 16 }, headers: { accept: "application/x-ndjson" } },
  { path: "/api/generate", body: { model: "w", prompt: "warm up", options: { num_predict: 16 } } },
  { path: "/api/chat", body: { model: "w", messages: [{ role: "user", content: "warm up" }], options: { num_predict: 16 } } },
];
/** Rounds of a full warm-up, and of a light one. */
export const FULL_ROUNDS = 20;
export const LIGHT_ROUNDS = 1;
const CONCURRENCY = 8;

export interface WarmUpPlan {
  rounds: number;
  /** Run beside this thread's own requests while the scratch emulator is up (another thread's client warm-up). */
  alongside?(url: string): Promise<void>;
}

function post(url: string, target: WarmUpTarget, agent: Agent): Promise<void> {
  const body = JSON.stringify(target.body);
  return new Promise((resolve, reject) => {
    const req = request(url + target.path, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...target.headers } }, (res) => {
      res.on("data", () => undefined);
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function exercise(url: string, rounds: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(TARGETS.flatMap((target) => Array.from({ length: CONCURRENCY / 4 }, () => post(url, target, agent))));
    }
  } finally {
    agent.destroy();
  }
}

let warmedUp: Promise<void> | null = null;

/** Warm this thread once; concurrent and later callers share the first warm-up (and its plan). */
export function warmUpEmulatorCode(start: (options: EmulatorOptions) => Promise<{ url: string; close(): Promise<void> }>, plan: WarmUpPlan = { rounds: FULL_ROUNDS }): Promise<void> {
  warmedUp ??= (async () => {
    const scratch = await start({ host: "127.0.0.1", port: 0, ttftMs: 0, itlMs: 0, seed: 1, warmUp: false, realtimeOnDemand: true });
    try {
      await Promise.all([exercise(scratch.url, plan.rounds), plan.alongside?.(scratch.url)]);
    } finally {
      await scratch.close();
    }
  })();
  return warmedUp;
}
