// proxy --web: the live page in real headless Chromium while load goes through a proxy that holds
// requests in its queue. The queue panel must be drawn from the proxy's own figures, next to the
// run's usual charts, with no console errors; the --html report of the session draws it too.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { drawnCharts, launchChromium, screenshot, watchedPage } from "./helpers/chromium.js";
import { collect, runCli, startCli, tempDir, waitForLine } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

describe("proxy live page (proxy --web)", () => {
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 25, length: 20 });
  const dir = tempDir();
  let browser: Browser;
  let proxy: ChildProcess | undefined;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    if (proxy && proxy.exitCode === null) proxy.kill("SIGKILL");
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws the queue panel from the proxy's figures while load waits in its queue", async () => {
    const html = join(dir, "session.html");
    proxy = startCli(["proxy", "--listen", "127.0.0.1:0", "--upstream", emulator().url, "--max-upstream", "2", "--web", "--html", html, "--quiet"], { cwd: dir });
    const proxyDone = collect(proxy, 60_000);
    // The page's URL is printed before the proxy's (its server listens first).
    const [, webUrl, proxyUrl] = await waitForLine(proxy, /live view at (http:\/\/127\.0\.0\.1:\d+\/)[\s\S]*listening on (http:\/\/127\.0\.0\.1:\d+)/, 15_000);
    const { page, errors, foreignRequests } = await watchedPage(browser, webUrl!.replace(/\/$/, ""));
    await page.goto(webUrl!);

    // 8 clients through 2 upstream slots, each request about 0.5 s: 6 wait at a time for 4 s or so.
    const load = runCli(["run", "--target", proxyUrl!, "--model", "queued", "--clients", "8", "--cycles", "4", "--length", "20", "--no-save", "--quiet"], { cwd: dir });
    await page.waitForFunction(
      () => (window.tokenstorm?.data.runs[0]?.timeline ?? []).some((point) => (point.queue_depth_max ?? 0) > 0),
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => (window.tokenstorm?.data.runs[0]?.timeline.length ?? 0) >= 3, undefined, { timeout: 10_000 });
    const charts = await drawnCharts(page);
    const queue = charts.find((chart) => chart.id === "queue");
    assert.ok(queue, `queue panel on the page (have ${charts.map((c) => c.id).join(", ")})`);
    assert.equal(queue.series, 6, "x, depth, depth max, upstream, wait p50, wait p95");
    assert.ok(queue.inkedPixels > 1000, "queue panel drawn");
    const peak = await page.evaluate(() => Math.max(...window.tokenstorm!.charts["queue"]!.data[2]!.map((v) => v ?? 0)));
    assert.ok(peak >= 1 && peak <= 6, `8 clients, 2 upstream: at most 6 wait (drawn peak ${peak})`);
    for (const id of ["throughput", "active", "ttft-over-time"]) assert.ok(charts.find((chart) => chart.id === id)!.inkedPixels > 1000, `${id} drawn`);
    await screenshot(page, dir, "proxy-web-view.png");
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests, []);
    await page.close();

    const loadResult = await load;
    assert.equal(loadResult.code, 0, loadResult.stderr);
    proxy.kill("SIGINT");
    assert.equal((await proxyDone).code, 0);

    // The session's HTML report draws the same panel from the report's timeline.
    const report = await watchedPage(browser, null);
    await report.page.goto(pathToFileURL(html).href);
    const reportQueue = (await drawnCharts(report.page)).find((chart) => chart.id === "queue");
    assert.ok(reportQueue && reportQueue.inkedPixels > 1000, "queue panel in the HTML report");
    assert.match(readFileSync(html, "utf8"), /"queue_depth_max":[1-6]\b/);
    assert.deepEqual(report.errors, []);
    await report.page.close();
  });
});
