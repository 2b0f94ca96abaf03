// HTTP/2 measurement accuracy (timing suite): the same bounds as HTTP/1.1's in ./accuracy.test.ts,
// with 200 streams multiplexed on 2 connections to an emulator speaking HTTP/2 with prior knowledge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { spawnEmulator } from "../../src/emulator/process.js";
import type { Report } from "../../src/report/types.js";
import { connect } from "node:http2";
import type { LatencySummary } from "../../src/metrics/histogram.js";
import { watched } from "./machine.js";
import { assertStreamTiming } from "./stream-timing.js";

const TTFT_TOLERANCE_MS = 2;

/** The emulator's wheel lateness from its /stats, asked over HTTP/2 (an h2c emulator speaks nothing else). */
function emulatorLateness(url: string): Promise<LatencySummary> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.on("error", reject);
    const request = session.request({ ":path": "/stats" });
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      session.close();
      resolve((JSON.parse(body) as { lateness: LatencySummary }).lateness);
    });
    request.on("error", reject);
  });
}

test("--http2: 200 streams at once on 2 connections x 2 cycles against emulate --http2 --ttft-ms 150 --itl-ms 20 --length 50: ttft and itl p50 on target", async () => {
  const emulator = await spawnEmulator(["--http2", "--ttft-ms", "150", "--itl-ms", "20", "--length", "50"]);
  try {
    const cwd = tempDir();
    const { result, machine } = await watched(() =>
      runCli(
        ["run", "--target", emulator.url, "--http2", "--max-connections", "2", "--clients", "200", "--max-concurrent", "200", "--cycles", "2", "--out", "r.json", "--no-save", "--quiet"],
        { cwd },
      ),
    );
    const lateness = await emulatorLateness(emulator.url);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 400);
    assert.deepEqual(report.errors, {});
    assert.equal(report.summary.tokens_total, 400 * 50);
    assert.equal(report.connections.opened, 2);
    assertStreamTiming(report, machine, lateness, { ttftMs: 150, itlMs: 20, ttftToleranceMs: TTFT_TOLERANCE_MS });
  } finally {
    await emulator.stop();
  }
});
