// Bounds on what one client can make the emulator do: a client that never reads stops being fed
// and is dropped after the slow-client limit; delays longer than setTimeout can take do not
// overflow into TimeoutOverflowWarning floods.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { nowMs } from "../src/clock.js";
import { startEmulator, TimingWheel } from "../src/emulator/index.js";
import { timerScheduler } from "../src/protocols/session/scheduler.js";

/** Warnings the process emits while `body` runs (and a moment after, as they are emitted on the next tick). */
async function warningsDuring(body: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on("warning", onWarning);
  try {
    await body();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}

/** A raw HTTP/1.1 streaming request whose socket never reads a byte of the answer. */
function nonReadingClient(port: number, body: string, headers: Record<string, string>): Socket {
  const socket = connect({ host: "127.0.0.1", port });
  socket.pause();
  const headerLines = Object.entries({ Host: `127.0.0.1:${port}`, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.write(`POST /v1/completions HTTP/1.1\r\n${headerLines}\r\n${body}`);
  return socket;
}

describe("emulator bounds", () => {
  test("a client that never reads stops being fed and is dropped after the slow-client limit", async () => {
    const emulator = await startEmulator({ port: 0, ttftMs: 1, itlMs: 1, text: "echo", slowClientLimitMs: 500, warmUp: false, seed: 1 });
    try {
      // Each token echoes one 64 KB word, so the kernel's socket buffers fill within a few hundred tokens.
      const word = "w".repeat(64 * 1024);
      const requested = 1_000_000;
      const startedMs = nowMs();
      const sockets = Array.from({ length: 4 }, () =>
        nonReadingClient(emulator.port, JSON.stringify({ model: "m", prompt: word, stream: true, max_tokens: requested }), {}),
      );
      // A paused client cannot see its connection go (it reads nothing): watch the emulator's counter.
      let droppedAfterMs: number | null = null;
      while (nowMs() - startedMs < 20_000) {
        if (emulator.stats().slowClientDrops === sockets.length) {
          droppedAfterMs = nowMs() - startedMs;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const socket of sockets) socket.destroy();
      assert.ok(droppedAfterMs !== null, `the emulator dropped ${emulator.stats().slowClientDrops} of the ${sockets.length} clients that do not read`);
      const stats = emulator.stats();
      assert.equal(stats.slowClientDrops, 4);
      assert.ok(stats.streamsHeld >= 4, `streamsHeld ${stats.streamsHeld}`);
      assert.equal(stats.active, 0, "dropped streams give back their slot");
      // The wheel went on firing on schedule for the held streams (their lateness is still measured),
      // but they were fed only while their sockets took bytes: at least the last 500 ms of 1 ms
      // firings of each stream wrote nothing.
      assert.ok(stats.tokensSent * 2 < stats.lateness.count, `lateness samples ${stats.lateness.count}, tokens sent ${stats.tokensSent}`);
      assert.equal(stats.clientAborts, 0, "a drop is counted as a drop, not as the client leaving");
    } finally {
      await emulator.close();
    }
  });

  test("delays past 2^31 ms arm no overflowing timer (no TimeoutOverflowWarning)", async () => {
    const warnings = await warningsDuring(async () => {
      const wheel = new TimingWheel();
      let fired = false;
      wheel.schedule(nowMs() + 2 ** 33, () => (fired = true));
      const scheduler = timerScheduler();
      scheduler.schedule(nowMs() + 2 ** 33, () => (fired = true));
      const emulator = await startEmulator({ port: 0, ttftMs: 2 ** 32, warmUp: false, seed: 1 });
      const socket = connect({ host: "127.0.0.1", port: emulator.port });
      const body = JSON.stringify({ model: "m", prompt: "hi", stream: true, max_tokens: 2 });
      socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      let answer = "";
      socket.on("data", (data: Buffer) => (answer += data.toString()));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.match(answer, /^HTTP\/1\.1 200/, "headers go out at once");
      assert.ok(!answer.includes("data:"), "no token before its (very late) due time");
      assert.equal(fired, false);
      socket.destroy();
      wheel.stop();
      scheduler.stop();
      await emulator.close();
    });
    assert.deepEqual(warnings.filter((warning) => warning.name === "TimeoutOverflowWarning").map(String), []);
  });
});
