// Connection reuse of the HTTP streaming driver against the in-process emulator, seen from both ends:
// the report's connections.opened / failed, and a TCP relay in front of the emulator that counts the
// connections it really accepted. Closed-model clients keep one connection each (never more than the
// concurrency cap), open-model arrivals take a free connection before opening one, and a connection
// is counted once however many requests it carries; one that cannot be made is counted as failed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { loadTestConfig, runLoadTest, type LoadTestSettings } from "../src/api.js";
import { freePort } from "../src/cluster/processes.js";
import { startEmulator } from "../src/emulator/index.js";
import { Collector } from "../src/metrics/collector.js";
import { openAiChat } from "../src/protocols/openai/client.js";
import type { Output } from "../src/report/output.js";
import type { Report, RequestRecord } from "../src/report/types.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { driverOptions } from "./helpers/driver-harness.js";

interface Relay {
  url: string;
  /** TCP connections the relay accepted from the client. */
  accepted(): number;
  close(): Promise<void>;
}

/** A byte-for-byte TCP relay to `port`: what the client opens is what it counts. */
async function relayTo(port: number): Promise<Relay> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    accepted++;
    const upstream = connect(port, "127.0.0.1");
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relayPort = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${relayPort}`,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function runThrough(emulatorPort: number, settings: LoadTestSettings): Promise<{ report: Report; accepted: number; records: RequestRecord[] }> {
  const relay = await relayTo(emulatorPort);
  const records: RequestRecord[] = [];
  const recorder: Output = { name: "records", onRequest: (record) => records.push(record), finish: async () => undefined };
  try {
    const { report } = await runLoadTest(loadTestConfig({ seed: 7, ...settings, target: relay.url }), { outputs: [recorder] });
    return { report, accepted: relay.accepted(), records };
  } finally {
    await relay.close();
  }
}

/**
 * The most requests that held a connection at the same moment, each from its dispatch to its end.
 * A connection is opened only when every open one is held, so no more are opened than this. Each
 * interval is widened by the records' rounding, so the figure can only come out high.
 */
function peakHeld(records: readonly RequestRecord[]): number {
  const slackMs = 0.005;
  const events: Array<[atMs: number, change: number]> = [];
  for (const record of records) {
    const endMs = record.start_ms + (record.e2e_ms ?? record.elapsed_ms);
    events.push([endMs - record.elapsed_ms - slackMs, 1], [endMs + slackMs, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let held = 0;
  let peak = 0;
  for (const [, change] of events) peak = Math.max(peak, (held += change));
  return peak;
}

describe("closed model: one kept-alive connection per client", () => {
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 2, length: 10, seed: 11 });

  test("10 clients x 5 cycles open exactly 10 connections", async () => {
    const { report, accepted } = await runThrough(emulator().port, { clients: 10, cycles: 5 });
    assert.equal(report.summary.requests, 50);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.connections.opened, 10);
    assert.equal(report.connections.failed, 0);
    assert.equal(accepted, 10, "the relay saw as many connections as were reported");
  });

  test("--max-concurrent 4 bounds 10 clients to 4 connections", async () => {
    const { report, accepted } = await runThrough(emulator().port, { clients: 10, cycles: 5, maxConcurrent: 4 });
    assert.equal(report.summary.requests, 50);
    assert.equal(report.summary.failed, 0);
    assert.ok(report.connections.opened >= 1 && report.connections.opened <= 4, `opened ${report.connections.opened}`);
    assert.equal(accepted, report.connections.opened);
  });

  test("connections cut by the server are opened again, each counted once", async () => {
    // A third of the streams are cut mid-way, and each cut takes its connection with it.
    const cutting = await startEmulator({ port: 0, ttftMs: 5, itlMs: 2, length: 10, seed: 5, disconnectRate: 0.3 });
    try {
      const { report, accepted } = await runThrough(cutting.port, { clients: 4, cycles: 10 });
      assert.equal(report.summary.requests, 40);
      const cut = report.errors.stream_aborted ?? 0;
      assert.ok(cut > 0, "some streams were cut");
      assert.ok(report.connections.opened > 4, `opened ${report.connections.opened}`);
      assert.ok(report.connections.opened <= 4 + cut, `opened ${report.connections.opened}, cut ${cut}`);
      assert.equal(accepted, report.connections.opened);
    } finally {
      await cutting.close();
    }
  });
});

describe("open model: arrivals reuse free connections", () => {
  // Streams of about 25 ms: at 50/s one or two are in flight at a time.
  const quick = emulatorForSuite({ ttftMs: 5, itlMs: 2, length: 10, seed: 12 });

  test("constant 50/s for 2 s: a new connection only when every open one is taken", async () => {
    const { report, accepted, records } = await runThrough(quick().port, { durationS: 2, flags: { pattern: "constant", rps: "50" } });
    assert.ok(report.summary.requests >= 90, `requests ${report.summary.requests}`);
    assert.equal(report.summary.failed, 0);
    const peak = peakHeld(records);
    assert.ok(report.connections.opened <= peak, `opened ${report.connections.opened}, at most ${peak} requests at once`);
    // One or two in flight on an idle machine; late timers on a busy one bunch arrivals up.
    assert.ok(report.connections.opened <= report.summary.requests / 4, `opened ${report.connections.opened} for ${report.summary.requests} requests`);
    assert.equal(accepted, report.connections.opened);
  });

  test("arrivals beyond the concurrency cap never open more connections than the cap", async () => {
    // 200/s of 100 ms streams wants about 20 in flight; the cap holds it to 4.
    const { report, accepted, records } = await runThrough(quick().port, {
      durationS: 1,
      maxConcurrent: 4,
      flags: { pattern: "constant", rps: "200", header: ["x-tokenstorm-ttft-ms: 20", "x-tokenstorm-itl-ms: 8"] },
    });
    assert.ok(report.summary.requests > 0);
    assert.ok(report.summary.dropped > 0, "the cap was reached");
    assert.ok(report.connections.opened <= 4, `opened ${report.connections.opened}`);
    assert.ok(report.connections.opened <= peakHeld(records));
    assert.equal(accepted, report.connections.opened);
  });
});

describe("connection counting", () => {
  test("a refused target: every connect attempt counted as failed, none as opened", async () => {
    const port = await freePort("127.0.0.1");
    const { report } = await runLoadTest(loadTestConfig({ target: `http://127.0.0.1:${port}`, clients: 3, cycles: 2, seed: 7 }));
    assert.equal(report.summary.requests, 6);
    assert.equal(report.errors.refused, 6);
    assert.equal(report.connections.opened, 0);
    assert.equal(report.connections.failed, 6);
  });

  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 5, length: 10, seed: 13 });

  test("requests beyond the driver's connections wait for one, and a cancelled wait gives none away", async () => {
    const collector = new Collector();
    const driver = openAiChat.create(
      driverOptions(emulator().url, {
        maxConnections: 2,
        onConnect: (ms) => (ms === null ? collector.recordConnectFailure() : collector.recordConnect(ms)),
      }),
    );
    const spec = { type: "t", prompt: "hello", maxTokens: 10 };
    const batch = async (count: number, cancelAfterMs?: number) => {
      const traces = Array.from({ length: count }, (_, i) => collector.begin("t", i, 0));
      const done = Promise.all(traces.map((trace) => driver.execute(spec, trace)));
      if (cancelAfterMs !== undefined) setTimeout(() => driver.cancelAll(), cancelAfterMs);
      await done;
      return traces.map((trace) => collector.finish(trace));
    };
    try {
      const first = await batch(6);
      assert.deepEqual(first.map((r) => r.ok), [true, true, true, true, true, true]);
      // Cancelled while two run and four wait: every request ends, and both connections come back.
      const cancelled = await batch(6, 10);
      assert.ok(cancelled.every((r) => !r.ok && r.error_class === "cancelled"), JSON.stringify(cancelled.map((r) => r.error_class)));
      const after = await batch(4);
      assert.deepEqual(after.map((r) => r.ok), [true, true, true, true]);
      // The cancelled requests' sockets were closed under them, so at most two more were opened.
      assert.ok(collector.connectionsOpened >= 2 && collector.connectionsOpened <= 4, `opened ${collector.connectionsOpened}`);
    } finally {
      await driver.close();
    }
  });
});
