// run --web: the live page in real headless Chromium while a run goes on. Its charts must grow second
// by second from the run's own endpoint, end on the final report, with no console errors.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { drawnCharts, launchChromium, screenshot, watchedPage } from "./helpers/chromium.js";
import { collect, startCli, tempDir, waitForLine } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

describe("live web view (run --web)", () => {
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 10 });
  const dir = tempDir();
  let browser: Browser;
  let child: ChildProcess | undefined;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves a page whose charts grow each second and end on the final report", async () => {
    // An open-model run of a fixed length: long enough for several seconds on the page.
    child = startCli(
      ["run", "--target", emulator().url, "--pattern", "constant", "--rps", "10", "--duration", "4", "--length", "20", "--web", "--no-save", "--quiet"],
      { cwd: dir },
    );
    const exited = once(child, "exit");
    const [, url] = await waitForLine(child, /live view at (http:\/\/127\.0\.0\.1:\d+\/)/, 15_000);
    const { page, errors, foreignRequests } = await watchedPage(browser, url!.replace(/\/$/, ""));
    await page.goto(url!);

    const timelineLength = (): Promise<number> => page.evaluate(() => window.tokenstorm?.data.runs[0]?.timeline.length ?? 0);
    await page.waitForFunction(() => (window.tokenstorm?.data.runs[0]?.timeline.length ?? 0) >= 1, undefined, { timeout: 10_000 });
    const early = await timelineLength();
    const earlyPoints = await page.evaluate(() => window.tokenstorm!.charts["throughput"]!.data[0].length);
    await page.waitForFunction((n) => (window.tokenstorm?.data.runs[0]?.timeline.length ?? 0) >= n + 2, early, { timeout: 10_000 });
    const later = await timelineLength();
    const laterPoints = await page.evaluate(() => window.tokenstorm!.charts["throughput"]!.data[0].length);
    assert.ok(later >= early + 2 && laterPoints > earlyPoints, `charts grew: ${earlyPoints} -> ${laterPoints} seconds`);
    const midRun = await drawnCharts(page);
    assert.equal(midRun.length, 8);
    for (const chart of midRun) assert.ok(chart.inkedPixels > 1000, `${chart.id} drawn mid-run`);

    // The page learns the run finished and shows the report's figures.
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "run finished", undefined, { timeout: 15_000 });
    const final = await page.evaluate(() => window.tokenstorm!.data.runs[0]!.summary.requests);
    assert.ok(final >= 25, `about 40 requests in 4 s at 10/s (got ${final})`);
    assert.ok((await page.evaluate(() => window.tokenstorm!.updates)) >= 4, "polled every second");
    await screenshot(page, dir, "web-view.png");
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests, []);
    await page.close();

    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  });

  it("a taken --web-port is a clear error before any load is sent", async () => {
    const holder = createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    const { port } = holder.address() as AddressInfo;
    const requestsBefore = emulator().stats().requests;
    try {
      const result = await collect(startCli(["run", "--target", emulator().url, "--web-port", String(port), "--no-save", "--quiet"], { cwd: dir }), 20_000);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`--web-port: cannot listen on 127\\.0\\.0\\.1:${port}`));
      assert.equal(result.stderr.trim().split("\n").length, 1);
      assert.doesNotMatch(result.stdout, /LOAD TEST RESULTS/);
      assert.equal(emulator().stats().requests, requestsBefore, "nothing was sent");
    } finally {
      holder.close();
    }
  });
});
