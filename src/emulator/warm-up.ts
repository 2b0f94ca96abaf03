// Once per process, before the first emulator announces itself, a throwaway emulator on a free
// loopback port serves a few hundred quick requests of every protocol: V8 then compiles the hot
// paths before measured traffic arrives, so the first wave of real requests is not slowed by a cold
// JIT (which would show up as false TTFT). The real emulator's counters and RNGs are untouched.
import { request } from "undici";
import type { EmulatorOptions } from "./options.js";
import type { RunningEmulator } from "./server.js";

interface WarmUpTarget {
  path: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const TARGETS: WarmUpTarget[] = [
  { path: "/v1/chat/completions", body: { model: "w", messages: [{ role: "user", content: "warm up" }], stream: true, max_tokens: 4, stream_options: { include_usage: true } } },
  { path: "/v1/completions", body: { model: "w", prompt: "warm up", stream: true, max_tokens: 4 } },
  { path: "/v1/completions", body: { model: "w", prompt: "warm up", stream: true, max_tokens: 4 }, headers: { accept: "application/x-ndjson" } },
  { path: "/api/generate", body: { model: "w", prompt: "warm up", options: { num_predict: 4 } } },
  { path: "/api/chat", body: { model: "w", messages: [{ role: "user", content: "warm up" }], options: { num_predict: 4 } } },
];
const ROUNDS = 40;
const CONCURRENCY = 8;

async function exercise(url: string): Promise<void> {
  const one = async (target: WarmUpTarget): Promise<void> => {
    const response = await request(url + target.path, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body: JSON.stringify(target.body),
    });
    await response.body.text();
  };
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(TARGETS.flatMap((target) => Array.from({ length: CONCURRENCY / 4 }, () => one(target))));
  }
}

let warmedUp: Promise<void> | null = null;

/** Warm this process once; concurrent and later callers share the first warm-up. */
export function warmUpEmulatorCode(start: (options: EmulatorOptions) => Promise<RunningEmulator>): Promise<void> {
  warmedUp ??= (async () => {
    const scratch = await start({ host: "127.0.0.1", port: 0, ttftMs: 0, itlMs: 0, seed: 1, warmUp: false });
    try {
      await exercise(scratch.url);
    } finally {
      await scratch.close();
    }
  })();
  return warmedUp;
}
