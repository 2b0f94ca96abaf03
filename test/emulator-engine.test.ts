// The emulator as a serving engine (issue 18): the prefix cache's chained blocks, LRU eviction, the
// hit counted on the request's usage, in /stats and as vLLM's /metrics counters, and the emulate
// flags that set it up. Prefill timing is checked in test/timing/prefill-timing.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningEmulator } from "../src/emulator/index.js";
import { Pacing } from "../src/emulator/pacing.js";
import { PrefixCache } from "../src/emulator/prefix-cache.js";
import { runCli } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { startPrometheus, type RunningPrometheus } from "./helpers/prometheus.js";

const BLOCK = 16;

/** `count` distinct words, each naming its group and place, so two groups never share a block. */
function words(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}w${i}`);
}

/** A group's shared prefix of `blocks` full blocks, then a suffix of its own shorter than a block. */
function prompt(group: number, blocks: number, request: number): string {
  return [...words(`g${group}`, blocks * BLOCK), ...words(`r${request}`, 3)].join(" ");
}

interface CompletionUsage {
  prompt_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

async function complete(emulator: RunningEmulator, text: string): Promise<CompletionUsage> {
  const response = await fetch(`${emulator.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", prompt: text, max_tokens: 2 }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { usage: CompletionUsage }).usage;
}

/** The streamed usage chunk of a chat completion (stream_options.include_usage). */
async function streamedUsage(emulator: RunningEmulator, text: string): Promise<CompletionUsage> {
  const response = await fetch(`${emulator.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: text }], max_tokens: 2, stream: true, stream_options: { include_usage: true } }),
  });
  const body = await response.text();
  const usageLine = body.split("\n").find((line) => line.startsWith("data: {") && line.includes('"usage":{'));
  assert.ok(usageLine, body);
  return (JSON.parse(usageLine.slice("data: ".length)) as { usage: CompletionUsage }).usage;
}

async function metric(emulator: RunningEmulator, name: string): Promise<number> {
  const text = await (await fetch(`${emulator.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  assert.ok(line, `${name} missing from /metrics`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function stats(emulator: RunningEmulator): Promise<{ promptTokens: number; prefixCache: { queries: number; hits: number } }> {
  return (await (await fetch(`${emulator.url}/stats`)).json()) as { promptTokens: number; prefixCache: { queries: number; hits: number } };
}

describe("prefix cache blocks", () => {
  it("hashes blocks as chains: the same block behind another prefix is not a hit", () => {
    const cache = new PrefixCache(100 * BLOCK, BLOCK);
    const a = words("a", BLOCK);
    const b = words("b", BLOCK);
    assert.deepEqual(cache.admit([...a, ...b]), { promptTokens: 2 * BLOCK, cachedTokens: 0 });
    // b's words again, but as the first block: a different chain.
    assert.equal(cache.admit([...b, ...a]).cachedTokens, 0);
    assert.equal(cache.admit([...a, ...b, ...words("c", 5)]).cachedTokens, 2 * BLOCK);
    // Only whole blocks are cached: a prompt of 1.5 blocks holds one.
    assert.equal(cache.admit(words("d", BLOCK + 8)).cachedTokens, 0);
    assert.equal(cache.admit(words("d", BLOCK + 8)).cachedTokens, BLOCK);
  });

  it("evicts the least recently used blocks, a prompt's tail before its head", () => {
    const cache = new PrefixCache(3 * BLOCK, BLOCK);
    const a = [...words("a0", BLOCK), ...words("a1", BLOCK)];
    const b = [...words("b0", BLOCK), ...words("b1", BLOCK)];
    cache.admit(a);
    cache.admit(b);
    assert.equal(cache.size, 3);
    // a's second block went first; its first block is still there.
    assert.equal(cache.admit(a).cachedTokens, BLOCK);
  });
});

describe("emulate --prefix-cache-tokens: hits on the usage, in /stats and /metrics", () => {
  const GROUPS = 4;
  const PREFIX_BLOCKS = 2;
  const PROMPT_TOKENS = PREFIX_BLOCKS * BLOCK + 3;
  const big = emulatorForSuite({ ttftMs: 0, itlMs: 0, prefixCacheTokens: 1000, warmUp: false });
  // Room for three groups' prefixes out of four.
  const small = emulatorForSuite({ ttftMs: 0, itlMs: 0, prefixCacheTokens: 3 * PREFIX_BLOCKS * BLOCK, warmUp: false });
  const none = emulatorForSuite({ ttftMs: 0, itlMs: 0, warmUp: false });

  it("a cache that holds every group: each group's first request misses, every later one hits its prefix", async () => {
    const emulator = big();
    let request = 0;
    for (let round = 0; round < 3; round++) {
      for (let group = 0; group < GROUPS; group++) {
        const usage = await complete(emulator, prompt(group, PREFIX_BLOCKS, request++));
        assert.equal(usage.prompt_tokens, PROMPT_TOKENS);
        assert.equal(usage.prompt_tokens_details?.cached_tokens, round === 0 ? 0 : PREFIX_BLOCKS * BLOCK, `round ${round} group ${group}`);
      }
    }
    // Streamed usage says the same.
    assert.equal((await streamedUsage(emulator, prompt(0, PREFIX_BLOCKS, request++))).prompt_tokens_details?.cached_tokens, PREFIX_BLOCKS * BLOCK);
    const queries = request * PROMPT_TOKENS;
    const hits = (request - GROUPS) * PREFIX_BLOCKS * BLOCK;
    assert.deepEqual((await stats(emulator)).prefixCache, { queries, hits });
    assert.equal((await stats(emulator)).promptTokens, queries);
    assert.equal(await metric(emulator, "vllm:prefix_cache_queries_total"), queries);
    assert.equal(await metric(emulator, "vllm:prefix_cache_hits_total"), hits);
    assert.equal(await metric(emulator, "vllm:prompt_tokens_total"), queries);
  });

  it("a cache too small: round-robin over four groups evicts each prefix before it comes back (LRU), pairs hit every second request", async () => {
    const emulator = small();
    let request = 0;
    for (let round = 0; round < 3; round++) {
      for (let group = 0; group < GROUPS; group++) {
        assert.equal((await complete(emulator, prompt(group, PREFIX_BLOCKS, request++))).prompt_tokens_details?.cached_tokens, 0);
      }
    }
    assert.equal(await metric(emulator, "vllm:prefix_cache_hits_total"), 0);
    // The same groups two at a time: the second of each pair finds the first's prefix.
    let pairHits = 0;
    for (let group = 0; group < GROUPS; group++) {
      for (let k = 0; k < 2; k++) {
        const cached = (await complete(emulator, prompt(group, PREFIX_BLOCKS, request++))).prompt_tokens_details?.cached_tokens;
        assert.equal(cached, k === 0 ? 0 : PREFIX_BLOCKS * BLOCK);
        pairHits += cached ?? 0;
      }
    }
    assert.equal(await metric(emulator, "vllm:prefix_cache_hits_total"), pairHits);
    assert.equal(await metric(emulator, "vllm:prefix_cache_queries_total"), request * PROMPT_TOKENS);
  });

  it("the Responses API reports the same hit as input_tokens_details.cached_tokens", async () => {
    const ask = async (): Promise<number> => {
      const response = await fetch(`${big().url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: prompt(7, PREFIX_BLOCKS, 900), max_output_tokens: 2 }),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { usage: { input_tokens_details: { cached_tokens: number } } }).usage.input_tokens_details.cached_tokens;
    };
    assert.equal(await ask(), 0);
    // The same input again: its two prefix blocks, not the 3-word tail.
    assert.equal(await ask(), PREFIX_BLOCKS * BLOCK);
  });

  it("without a prefix cache, usage has no cached_tokens and the cache counters stay at zero", async () => {
    const emulator = none();
    const usage = await complete(emulator, prompt(0, PREFIX_BLOCKS, 0));
    assert.equal(usage.prompt_tokens, PROMPT_TOKENS);
    assert.equal(usage.prompt_tokens_details, undefined);
    assert.equal(await metric(emulator, "vllm:prefix_cache_queries_total"), 0);
    assert.equal(await metric(emulator, "vllm:prompt_tokens_total"), PROMPT_TOKENS);
  });
});

/** One streamed completion: when its first token and its end arrived (performance.now()). */
async function timedStream(emulator: RunningEmulator, text: string, maxTokens: number): Promise<{ firstAt: number; endAt: number; tokens: number }> {
  const response = await fetch(`${emulator.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", prompt: text, max_tokens: maxTokens, stream: true }),
  });
  assert.equal(response.status, 200);
  let firstAt = 0;
  let body = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    body += decoder.decode(chunk as Uint8Array, { stream: true });
    if (firstAt === 0 && body.includes('"text":"')) firstAt = performance.now();
  }
  const tokens = body.split("\n").filter((line) => line.startsWith("data: {") && /"text":"[^"]/.test(line)).length;
  return { firstAt, endAt: performance.now(), tokens };
}

describe("emulate --kv-cache-tokens: a request that does not fit waits", () => {
  const PROMPT = 10;
  const MAX_TOKENS = 40;
  const HOLDS = PROMPT + MAX_TOKENS;
  // Room for 8 requests of this size; each runs 40 tokens x 150 ms = about 6 s, so Prometheus scrapes the wait.
  const kv = emulatorForSuite({ ttftMs: 0, itlMs: 150, kvCacheTokens: 8 * HOLDS, warmUp: false });
  let prometheus: RunningPrometheus | undefined;
  before(async () => {
    prometheus = await startPrometheus({ emulator: [new URL(kv().url).host] });
    // Scraping before the requests start, so the wait falls between two scrapes.
    for (let i = 0; i < 100 && (await prometheus.query('up{job="emulator"}')).get("") !== 1; i++) await sleep(100);
  });
  after(async () => {
    await prometheus?.stop();
  });

  it("8 run, the 9th waits (/stats, /metrics, a real Prometheus: waiting 1, KV cache full) and starts only when one ends", async () => {
    const emulator = kv();
    const text = (i: number): string => words(`k${i}`, PROMPT).join(" ");
    const first8 = Array.from({ length: 8 }, (_, i) => timedStream(emulator, text(i), MAX_TOKENS));
    // The ninth after the eight are admitted (FIFO: it is the one that waits).
    for (let i = 0; i < 100 && (await stats(emulator) as unknown as { active: number }).active < 8; i++) await sleep(20);
    const ninth = timedStream(emulator, text(8), MAX_TOKENS);
    for (let i = 0; i < 100 && (await stats(emulator) as unknown as { waiting: number }).waiting < 1; i++) await sleep(20);
    const during = (await stats(emulator)) as unknown as { active: number; waiting: number; kvCacheTokens: number };
    assert.deepEqual({ active: during.active, waiting: during.waiting, kvCacheTokens: during.kvCacheTokens }, { active: 8, waiting: 1, kvCacheTokens: 8 * HOLDS });
    assert.equal(await metric(emulator, "vllm:num_requests_waiting"), 1);
    assert.equal(await metric(emulator, "vllm:kv_cache_usage_perc"), 1);
    // Prometheus scrapes every second: within the streams' 6 s it has seen the wait.
    let seen = 0;
    for (let i = 0; i < 30 && seen !== 1; i++) {
      await sleep(200);
      seen = (await prometheus!.query("max_over_time(vllm:num_requests_waiting[30s])")).get("") ?? 0;
    }
    assert.equal(seen, 1, "Prometheus never saw vllm:num_requests_waiting = 1");
    assert.equal((await prometheus!.query("max_over_time(vllm:kv_cache_usage_perc[30s])")).get(""), 1);
    const ran = await Promise.all(first8);
    const waited = await ninth;
    for (const r of [...ran, waited]) assert.equal(r.tokens, MAX_TOKENS);
    // Its first token came after one of the eight had ended: it waited for room in the KV cache.
    assert.ok(waited.firstAt >= Math.min(...ran.map((r) => r.endAt)), "the 9th request started before any of the 8 ended");
    const after = (await stats(emulator)) as unknown as { active: number; waiting: number; kvCacheTokens: number; activePeak: number };
    assert.deepEqual({ active: after.active, waiting: after.waiting, kvCacheTokens: after.kvCacheTokens, activePeak: after.activePeak }, { active: 0, waiting: 0, kvCacheTokens: 0, activePeak: 8 });
  });

  it("a request larger than the whole KV cache is a 400 naming the flag", async () => {
    const response = await fetch(`${kv().url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "a b c", max_tokens: 9 * HOLDS }),
    });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /--kv-cache-tokens/);
  });
});

describe("decode cost", () => {
  it("--decode-ms-per-1k-kv: each gap grows with the KV-cache tokens held, beside the batch slowdown", () => {
    let running = 1;
    let kvTokens = 0;
    const pacing = new Pacing({ jitter: 0, slowdownUnderLoad: 0.5, extraDelayPerTokenMs: 1, decodeMsPer1kKv: 10 }, Math.random, () => running, () => kvTokens);
    assert.equal(pacing.interTokenMs(20), 21);
    kvTokens = 2500;
    assert.equal(pacing.interTokenMs(20), 46);
    running = 3;
    assert.equal(pacing.interTokenMs(20), 20 * 2 + 1 + 25);
  });
});

describe("emulate serving-engine flags", () => {
  it("bad values are reported together, each naming its flag, exit 2", async () => {
    const result = await runCli(["emulate", "--port", "0", "--block-size", "0", "--prefix-cache-tokens", "-5", "--prefill-ms-per-1k", "fast"]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    for (const flag of ["--block-size", "--prefix-cache-tokens", "--prefill-ms-per-1k"]) assert.match(result.stderr, new RegExp(flag));
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("--decode-ms-per-1k-kv needs --kv-cache-tokens", async () => {
    const result = await runCli(["emulate", "--port", "0", "--decode-ms-per-1k-kv", "5"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--decode-ms-per-1k-kv needs --kv-cache-tokens/);
  });

  it("the help lists them under Serving engine", async () => {
    const result = await runCli(["emulate", "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Serving engine:[\s\S]*--prefill-ms-per-1k[\s\S]*--prefix-cache-tokens[\s\S]*--block-size[\s\S]*--kv-cache-tokens/);
  });
});
