// tokenstorm proxy: real streams from the emulator through the proxy to real clients (fetch, `run`,
// the official openai and ollama SDKs), with a real Prometheus scraping /metrics. Correctness only:
// the latency agreement between the proxy and `run` is in proxy-timing.test.ts.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { resolveProxySettings } from "../src/cli/proxy.js";
import type { RunningEmulator } from "../src/emulator/index.js";
import type { EmulatorStats } from "../src/emulator/stats.js";
import { renderProxyMetrics } from "../src/proxy/metrics.js";
import { LiveTrafficProxy, type ProxyOptions } from "../src/proxy/server.js";
import { PrometheusOutput } from "../src/report/prometheus.js";
import type { Report, RequestRecord } from "../src/report/types.js";
import { collect, runCli, startCli, tempDir, waitForLine } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { getWithHost } from "./helpers/host-header.js";
import { startPrometheus } from "./helpers/prometheus.js";

/** The line `tokenstorm proxy` prints once it listens. */
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

interface StartedProxy {
  proxy: LiveTrafficProxy;
  records: RequestRecord[];
  exporter: PrometheusOutput;
  stop(): Promise<Report>;
}

async function startProxy(upstream: string, options: Partial<ProxyOptions> = {}): Promise<StartedProxy> {
  const records: RequestRecord[] = [];
  let proxy: LiveTrafficProxy | null = null;
  const exporter = await PrometheusOutput.start({ host: "127.0.0.1", port: 0, lingerS: 0, flag: "--metrics-port", extra: () => (proxy ? renderProxyMetrics(proxy) : "") });
  proxy = await LiveTrafficProxy.start({
    host: "127.0.0.1",
    port: 0,
    upstream: new URL(upstream),
    maxUpstream: 0,
    maxQueue: 1000,
    idleTimeoutMs: 30_000,
    outputs: [exporter, { name: "records", onRequest: (record) => void records.push(record), finish: async () => undefined }],
    config: { protocol: "proxy", target: upstream },
    ...options,
  });
  return { proxy, records, exporter, stop: () => proxy.stop(5, false) };
}

async function stats(emulator: RunningEmulator, reset = false): Promise<EmulatorStats> {
  const response = await fetch(`${emulator.url}/stats${reset ? "/reset" : ""}`, { method: reset ? "POST" : "GET" });
  return (await response.json()) as EmulatorStats;
}

/** POST a streaming chat request and read the whole body. */
async function chat(url: string, model: string, maxTokens: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: maxTokens }),
  });
  return { status: response.status, body: await response.text() };
}

describe("tokenstorm proxy", () => {
  const emulator = emulatorForSuite({ ttftMs: 10, itlMs: 5, length: 20 });

  it("passes every protocol's stream through unchanged and measures it by model and route", async () => {
    const { proxy, records, stop } = await startProxy(emulator().url);
    try {
      // seed 004's NDJSON lines are deterministic: the bytes must be identical either way.
      const ndjson = (base: string): Promise<string> =>
        fetch(`${base}/v1/completions`, { method: "POST", headers: { accept: "application/x-ndjson" }, body: JSON.stringify({ prompt: "x", max_tokens: 7, stream: true }) }).then((r) => r.text());
      assert.equal(await ndjson(proxy.url), await ndjson(emulator().url));
      const proxied = await chat(proxy.url, "model-a", 6);
      assert.equal(proxied.status, 200);
      assert.equal(proxied.body.match(/^data: \{/gm)?.length, 6 + 1, "six content chunks and the final one");
      assert.ok(proxied.body.endsWith("data: [DONE]\n\n"));
      const generate = await fetch(`${proxy.url}/api/generate`, { method: "POST", body: JSON.stringify({ model: "model-b", prompt: "hi", options: { num_predict: 4 } }) });
      assert.equal(generate.headers.get("content-type"), "application/x-ndjson");
      const lines = (await generate.text()).trim().split("\n").map((line) => JSON.parse(line) as { done: boolean; eval_count?: number });
      assert.equal(lines.length, 5);
      assert.equal(lines.at(-1)!.eval_count, 4);
      // Outside the streaming routes: passed through, not measured.
      const models = (await fetch(`${proxy.url}/v1/models`).then((r) => r.json())) as { data: unknown[] };
      assert.equal(models.data.length, 1);

      const report = await stop();
      assert.equal(report.summary.requests, 3);
      assert.equal(report.summary.successful, 3);
      assert.deepEqual(Object.keys(report.by_type).sort(), ["model-a", "model-b", "unknown"]);
      assert.equal(report.by_type["model-a"]!.summary.tokens_total, 6);
      assert.equal(report.by_type["model-a"]!.latency.itl!.count, 5);
      assert.equal(report.by_type["model-b"]!.summary.tokens_total, 4, "Ollama's eval_count");
      assert.equal(report.by_type["unknown"]!.summary.tokens_total, 7);
      assert.deepEqual(report.proxy!.by_route, { "/v1/completions": 1, "/v1/chat/completions": 1, "/api/generate": 1 });
      assert.equal(report.proxy!.unmeasured, 1);
      assert.equal(records.length, 3);
      for (const record of records) assert.ok(record.ok && record.ttft_ms! > 0 && record.queue_ms! >= 0, JSON.stringify(record));
    } finally {
      await stop();
    }
  });

  it("--max-upstream 4 with 20 clients: the emulator never sees more than 4, Prometheus sees the queue peak at 16, nothing lost", async () => {
    const { proxy, exporter, stop } = await startProxy(emulator().url, { maxUpstream: 4 });
    const prometheus = await startPrometheus({ proxy: [exporter.url.replace(/^http:\/\//, "").replace(/\/metrics$/, "")] });
    try {
      await stats(emulator(), true);
      // Wait for Prometheus to have scraped the idle proxy once, so the peak falls inside its data.
      for (let i = 0; i < 50 && (await prometheus.query("tokenstorm_proxy_queue_depth")).size === 0; i++) await sleep(200);
      // 40 tokens 50 ms apart: each request holds its slot for about 2 s, so 16 wait for a while.
      const slow = { "x-tokenstorm-itl-ms": "50", "x-tokenstorm-ttft-ms": "50" };
      const results = await Promise.all(Array.from({ length: 20 }, () => chat(proxy.url, "queued", 40, slow)));
      for (const result of results) {
        assert.equal(result.status, 200);
        assert.equal(result.body.match(/"content":"/g)?.length, 40);
        assert.ok(result.body.endsWith("data: [DONE]\n\n"));
      }
      const emulatorStats = await stats(emulator());
      assert.equal(emulatorStats.requests, 20);
      assert.equal(emulatorStats.completed, 20);
      assert.ok(emulatorStats.activePeak <= 4 && emulatorStats.activePeak >= 4, `emulator peak ${emulatorStats.activePeak}`);
      await sleep(2500); // two more scrapes
      const peak = await prometheus.query("max_over_time(tokenstorm_proxy_queue_depth[2m])");
      assert.equal(peak.get(""), 16);
      assert.equal((await prometheus.query("tokenstorm_proxy_queue_depth_max")).get(""), 16);
      assert.equal((await prometheus.query("max_over_time(tokenstorm_proxy_upstream_in_flight[2m])")).get(""), 4);
      assert.equal((await prometheus.query("tokenstorm_requests_successful_total")).get(""), 20);
      assert.equal((await prometheus.query('tokenstorm_model_ttft_seconds_count{model="queued"}')).get(""), 20);
      const report = await stop();
      assert.equal(report.summary.successful, 20);
      assert.equal(report.summary.failed, 0);
      assert.equal(report.proxy!.queue_depth_max, 16);
      assert.equal(report.proxy!.queue_wait!.count, 20);
      assert.ok(report.timeline.some((point) => point.queue_depth_max === 16), "the queue panel's data saw the peak");
    } finally {
      await prometheus.stop();
      await stop();
    }
  });

  it("answers 429 in the route's error shape beyond --max-queue", async () => {
    const { proxy, stop } = await startProxy(emulator().url, { maxUpstream: 1, maxQueue: 1 });
    try {
      const slow = { "x-tokenstorm-itl-ms": "50" };
      const first = chat(proxy.url, "m", 10, slow);
      const second = chat(proxy.url, "m", 10, slow);
      await sleep(100);
      const third = await chat(proxy.url, "m", 10, slow);
      assert.equal(third.status, 429);
      assert.equal((JSON.parse(third.body) as { error: { code: string } }).error.code, "rate_limit_exceeded");
      const ollama = await fetch(`${proxy.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "m", messages: [] }) });
      assert.equal(ollama.status, 429);
      assert.match(((await ollama.json()) as { error: string }).error, /queue full/);
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      const report = await stop();
      assert.equal(report.errors["http_429"], 2);
      assert.equal(report.proxy!.rejected, 2);
    } finally {
      await stop();
    }
  });

  it("works unchanged under the official openai and ollama SDKs", async () => {
    const { proxy, stop } = await startProxy(emulator().url);
    try {
      const openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
      const stream = await openai.chat.completions.create({ model: "sdk-openai", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 8, stream_options: { include_usage: true } });
      let text = "";
      let usage: number | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        usage = chunk.usage?.completion_tokens ?? usage;
      }
      assert.ok(text.length > 0);
      assert.equal(usage, 8);
      const whole = await openai.completions.create({ model: "sdk-openai", prompt: "hi", max_tokens: 3 });
      assert.equal(whole.usage?.completion_tokens, 3);

      const ollama = new Ollama({ host: proxy.url });
      let ollamaText = "";
      let evalCount = 0;
      for await (const part of await ollama.chat({ model: "sdk-ollama", messages: [{ role: "user", content: "hi" }], stream: true, options: { num_predict: 5 } })) {
        ollamaText += part.message.content;
        if (part.done) evalCount = part.eval_count;
      }
      assert.ok(ollamaText.length > 0);
      assert.equal(evalCount, 5);
      const generated = await ollama.generate({ model: "sdk-ollama", prompt: "hi", stream: false, options: { num_predict: 2 } });
      assert.equal(generated.eval_count, 2);

      const report = await stop();
      assert.equal(report.summary.failed, 0);
      assert.equal(report.by_type["sdk-openai"]!.summary.requests, 2);
      // A non-streamed OpenAI answer is measured for TTFB and e2e only (the proxy does not hold whole bodies).
      assert.equal(report.by_type["sdk-openai"]!.summary.tokens_total, 8);
      assert.equal(report.by_type["sdk-openai"]!.latency.e2e!.count, 2);
      assert.equal(report.by_type["sdk-ollama"]!.summary.requests, 2);
      assert.equal(report.by_type["sdk-ollama"]!.summary.tokens_total, 5 + 2);
    } finally {
      await stop();
    }
  });

  it("ends the upstream request when the client disconnects mid-stream", async () => {
    const { proxy, stop } = await startProxy(emulator().url);
    try {
      await stats(emulator(), true);
      const controller = new AbortController();
      const response = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "x-tokenstorm-itl-ms": "50" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 200 }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      let aborts = 0;
      for (let i = 0; i < 100 && aborts === 0; i++) {
        await sleep(20);
        aborts = (await stats(emulator())).clientAborts;
      }
      assert.equal(aborts, 1, "the emulator saw its client go");
      assert.equal((await stats(emulator())).active, 0);
      assert.equal(proxy.gate.inFlight, 0);
      const report = await stop();
      assert.equal(report.summary.cancelled, 1);
      assert.equal(report.summary.failed, 0);
    } finally {
      await stop();
    }
  });

  it("passes upstream failures on as they came: an error status and body, a broken stream, a stream ended early", async () => {
    const { proxy, stop } = await startProxy(emulator().url);
    try {
      const failing = (kind: string): Promise<{ status: number; body: string }> => chat(proxy.url, "failing", 10, { "x-tokenstorm-fail": kind });
      const direct = await fetch(`${emulator().url}/v1/chat/completions`, { method: "POST", headers: { "x-tokenstorm-fail": "503" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }) });
      const status = await failing("503");
      assert.equal(status.status, 503);
      assert.equal(status.body, await direct.text(), "the upstream's error body, unchanged");
      await assert.rejects(failing("disconnect"), "a stream broken upstream is broken for the client");
      const truncated = await failing("truncate");
      assert.equal(truncated.status, 200);
      assert.ok(!truncated.body.includes("[DONE]"), "ended early, without its end marker, as upstream ended it");
      const report = await stop();
      assert.deepEqual(report.errors, { http_503: 1, stream_aborted: 1, truncated: 1 });
    } finally {
      await stop();
    }
  });

  it("passes upstream failures on: an unreachable upstream is a 502 classified as refused", async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { proxy, stop } = await startProxy(`http://127.0.0.1:${port}`);
    try {
      const result = await chat(proxy.url, "m", 3);
      assert.equal(result.status, 502);
      assert.match((JSON.parse(result.body) as { error: { message: string } }).error.message, /refused/);
      const report = await stop();
      assert.deepEqual(report.errors, { refused: 1 });
    } finally {
      await stop();
    }
  });
});

describe("tokenstorm proxy (command line)", () => {
  const emulator = emulatorForSuite({ ttftMs: 10, itlMs: 20, length: 30 });
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("binds 127.0.0.1:11435 in front of 127.0.0.1:11434 by default", () => {
    const settings = resolveProxySettings({});
    assert.deepEqual([settings.host, settings.port, settings.upstream.href], ["127.0.0.1", 11435, "http://127.0.0.1:11434/"]);
    assert.equal(resolveProxySettings({ listen: ":0" }).host, "127.0.0.1");
    assert.equal(settings.metrics, null);
  });

  it("rejects bad flags in one line, as every command does, and exit 2", async () => {
    const result = await runCli(["proxy", "--listen", "nowhere", "--max-upstream", "-1", "--upstream", "ftp://x"], { cwd: dir });
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    const problems = lines[0]!.replace(/^tokenstorm: /, "").split("; ");
    assert.deepEqual(problems.map((problem) => problem.split(" ")[0]), ["--listen", "--upstream", "--max-upstream"], result.stderr);
    assert.doesNotMatch(result.stderr, /at .*\.js/);
  });

  it("on Ctrl-C drains streams in flight, refuses new ones, and its --raw file makes the HTML report", async () => {
    const raw = join(dir, "session.ndjson");
    const child = startCli(["proxy", "--listen", "127.0.0.1:0", "--upstream", emulator().url, "--graceful-stop", "5", "--raw", raw, "--out", join(dir, "session.json"), "--quiet"], { cwd: dir });
    const finished = collect(child, 20_000);
    const url = (await waitForLine(child, LISTENING, 20_000))[1]!;
    await chat(url, "before", 3);
    // A stream of 30 tokens 20 ms apart, interrupted after its first chunk.
    const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "draining", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 30 }) });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let body = decoder.decode((await reader.read()).value);
    child.kill("SIGINT");
    await sleep(200);
    await assert.rejects(fetch(`${url}/v1/models`), "a new connection is refused while draining");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      body += decoder.decode(value);
    }
    assert.ok(body.endsWith("data: [DONE]\n\n"), "the stream in flight finished");
    const result = await finished;
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(dir, "session.json"), "utf8")) as Report;
    assert.equal(report.summary.successful, 2);
    assert.equal(report.by_type["draining"]!.summary.tokens_total, 30);

    const html = join(dir, "session.html");
    const rendered = await runCli(["report", raw, "--html", html], { cwd: dir });
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.ok(existsSync(html));
    const page = readFileSync(html, "utf8");
    const data = JSON.parse(/<script type="application\/json" id="tokenstorm-data">(.*?)<\/script>/s.exec(page)![1]!) as { runs: Array<{ summary: { requests: number }; by_type: Record<string, unknown> }> };
    assert.equal(data.runs[0]!.summary.requests, 2);
    assert.deepEqual(Object.keys(data.runs[0]!.by_type).sort(), ["before", "draining"]);
  });

  it("rebuilding a report from raw records names a bad line, exit 2", async () => {
    const bad = join(dir, "bad.ndjson");
    writeFileSync(bad, `${JSON.stringify({ id: 0, type: "m", start_ms: 1, ok: true, tokens: 1, chunks: 1, e2e_ms: 2 })}\n{"id": 1,\n`);
    const result = await runCli(["report", bad, "--html", join(dir, "bad.html")], { cwd: dir });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `tokenstorm: ${bad}:2: invalid JSON\n`);
  });

  it("--allowed-host: /metrics and the live page answer that name besides this machine's, and no other (DNS rebinding)", async () => {
    const child = startCli(["proxy", "--listen", "127.0.0.1:0", "--upstream", emulator().url, "--metrics-port", "0", "--web", "--allowed-host", "dash.internal", "--graceful-stop", "0"], { cwd: dir });
    const finished = collect(child, 20_000);
    // One listener for both lines: they may come in one chunk.
    const [, metricsUrl, pageUrl] = await waitForLine(child, /Prometheus metrics at (\S+)[\s\S]*live view at (\S+)/, 20_000);
    for (const url of [metricsUrl!, pageUrl!]) {
      const port = new URL(url).port;
      assert.equal(await getWithHost(url, `127.0.0.1:${port}`), 200, url);
      assert.equal(await getWithHost(url, `dash.internal:${port}`), 200, url);
      assert.equal(await getWithHost(url, `attacker.example:${port}`), 403, url);
    }
    child.kill("SIGINT");
    assert.equal((await finished).code, 0);
  });

  it("cuts streams off after --graceful-stop and still writes the report", async () => {
    const child = startCli(["proxy", "--listen", "127.0.0.1:0", "--upstream", emulator().url, "--graceful-stop", "0.3", "--out", join(dir, "cut.json"), "--quiet"], { cwd: dir });
    const finished = collect(child, 20_000);
    const url = (await waitForLine(child, LISTENING, 20_000))[1]!;
    const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "x-tokenstorm-itl-ms": "100" }, body: JSON.stringify({ model: "long", messages: [{ role: "user", content: "hi" }], stream: true, max_tokens: 100 }) });
    const reader = response.body!.getReader();
    await reader.read();
    const stoppedAt = Date.now();
    child.kill("SIGINT");
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error("ended cleanly");
    });
    const result = await finished;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - stoppedAt < 3000, "did not wait for the 10 s stream");
    const report = JSON.parse(readFileSync(join(dir, "cut.json"), "utf8")) as Report;
    assert.equal(report.summary.cancelled, 1);
  });
});
