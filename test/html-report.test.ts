// The single-file HTML report (run --html, report --html, compare --html), opened in real headless
// Chromium: every chart drawn from the run's data, no console errors, nothing fetched, a screenshot.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PassThrough } from "node:stream";
import type { Browser } from "playwright-core";
import { compareCommand } from "../src/cli/compare.js";
import { reportCommand } from "../src/cli/report.js";
import { UsageError } from "../src/errors.js";
import { renderHtmlReport } from "../src/report/html.js";
import { readReportFile } from "../src/report/json.js";
import { jsonForScript } from "../src/report/page/template.js";
import type { Report } from "../src/report/types.js";
import { drawnCharts, launchChromium, screenshot, watchedPage } from "./helpers/chromium.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

const CHART_IDS = ["throughput", "active", "ttft-over-time", "itl-over-time", "e2e-over-time", "latency-distribution", "latency-vs-load", "errors"];

describe("HTML report", () => {
  // Some injected failures, so the errors chart and table have something to show.
  const emulator = emulatorForSuite({ ttftMs: 30, itlMs: 10, errorRate: 0.15, seed: 7 });
  const dir = tempDir();
  let browser: Browser;
  let report: Report;

  before(async () => {
    // The browser starts while the run goes on.
    const launched = launchChromium();
    const result = await runCli([
      "run", "--target", emulator().url, "--clients", "4", "--cycles", "8", "--length", "20", "--seed", "1",
      "--threshold", "ttft.p95<60s", "--threshold", "success_rate>0.999",
      "--out", join(dir, "base.json"), "--html", join(dir, "run.html"), "--no-save", "--quiet",
    ]);
    browser = await launched;
    assert.equal(result.code, 99, `the success-rate threshold fails (exit 99): ${result.stderr}`);
    report = readReportFile(join(dir, "base.json"));
    assert.ok(report.summary.failed > 0 && report.timeline.length >= 2, "the run had failures and several seconds");
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("run --html draws every chart from the run, shows the thresholds, and needs no network", async () => {
    const html = readFileSync(join(dir, "run.html"), "utf8");
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i, "no external scripts or stylesheets");
    const { page, errors, foreignRequests } = await watchedPage(browser, null);
    await page.goto(`file://${join(dir, "run.html")}`);
    await page.waitForFunction(() => Object.keys(window.tokenstorm?.charts ?? {}).length === 8);
    const charts = await drawnCharts(page);
    assert.deepEqual(charts.map((c) => c.id), CHART_IDS);
    for (const chart of charts) {
      assert.ok(chart.inkedPixels > 1000, `${chart.id}: canvas drawn (${chart.inkedPixels} pixels)`);
      assert.ok(chart.series >= 2 && chart.points >= 1, `${chart.id}: has data (${chart.series} series × ${chart.points})`);
    }
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    assert.equal(byId["throughput"]!.points, report.timeline.length, "one x per timeline second");
    assert.equal(byId["latency-distribution"]!.series, 1 + 4, "ttft, itl, tpot, e2e curves");

    // The page's numbers are the report's numbers.
    const errorsPerSecond = await page.evaluate(() => window.tokenstorm!.charts["errors"]!.data[1] as number[]);
    assert.ok(errorsPerSecond.some((v) => v > 0), "failures show on the errors chart");
    const cards = await page.locator(".card").allInnerTexts();
    assert.ok(cards.some((text) => text.includes("REQUESTS") && text.includes(String(report.summary.requests))), cards.join(" | "));
    const thresholds = await page.locator("table.thresholds tbody tr").allInnerTexts();
    assert.equal(thresholds.length, 2);
    assert.match(thresholds[0]!, /ttft\.p95<60s.*PASS/s);
    assert.match(thresholds[1]!, /success_rate>0\.999.*FAIL/s);
    const errorClasses = Object.keys(report.errors);
    const body = await page.locator("#tables").innerText();
    for (const cls of errorClasses) assert.ok(body.includes(cls), `error class ${cls} listed`);
    assert.ok(body.includes("short"), "per request type table");

    const shots = await screenshot(page, dir, "html-report.png");
    assert.ok(shots.every((path) => statSync(path).size > 20_000), "screenshots saved");
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests, []);
    await page.close();
  });

  it("a multi-turn run's page has a by-turn table beside the by-type one", async () => {
    const result = await runCli([
      "run", "--target", emulator().url, "--turns", "3", "--clients", "4", "--cycles", "6", "--length", "5", "--seed", "2",
      "--allow-failures", "--out", join(dir, "turns.json"), "--html", join(dir, "turns.html"), "--no-save", "--quiet",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const turns = readReportFile(join(dir, "turns.json"));
    assert.ok(turns.by_turn && Object.keys(turns.by_turn).length >= 2, "several turns ran");
    const { page, errors } = await watchedPage(browser, null);
    await page.goto(`file://${join(dir, "turns.html")}`);
    await page.locator("#tables h3", { hasText: "By turn" }).waitFor();
    const rows = await page.locator("#tables table").nth(2).locator("tbody tr").allInnerTexts();
    assert.deepEqual(
      rows.map((row) => row.split("\t")[0]),
      Object.keys(turns.by_turn),
      "one row per turn, in order",
    );
    for (const [i, turn] of Object.keys(turns.by_turn).entries()) assert.ok(rows[i]!.includes(String(turns.by_turn[turn]!.summary.requests)), rows[i]);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("report --html renders a saved report; compare --html overlays two", async () => {
    // In-process (the CLI's exit codes and messages are covered below and in cli-commands.test.ts).
    const reportHtml = join(dir, "from-json.html");
    assert.equal(await reportCommand(join(dir, "base.json"), { html: reportHtml }, () => undefined), 0);
    copyFileSync(join(dir, "base.json"), join(dir, "new.json"));
    const compareHtml = join(dir, "compare.html");
    const sink = new PassThrough().resume();
    assert.equal(await compareCommand(join(dir, "base.json"), join(dir, "new.json"), { html: compareHtml }, sink), 0);

    const { page, errors, foreignRequests } = await watchedPage(browser, null);
    await page.goto(`file://${reportHtml}`);
    await page.waitForFunction(() => Object.keys(window.tokenstorm?.charts ?? {}).length === 8);
    assert.equal((await drawnCharts(page)).filter((c) => c.inkedPixels > 1000).length, 8);

    await page.goto(`file://${compareHtml}`);
    await page.waitForFunction(() => Object.keys(window.tokenstorm?.charts ?? {}).length === 8);
    const charts = await drawnCharts(page);
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    assert.equal(byId["throughput"]!.series, 1 + 2 * 2, "requests/s and tokens/s of both runs");
    assert.equal(byId["latency-distribution"]!.series, 1 + 2 * 4);
    const labels = await page.evaluate(() => window.tokenstorm!.charts["ttft-over-time"]!.series.map((s) => s.label));
    assert.ok(labels.some((l) => String(l).includes("base.json")) && labels.some((l) => String(l).includes("new.json")), labels.join(","));
    await screenshot(page, dir, "html-compare.png");
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests, []);
    await page.close();
  });

  it("report strings cannot break out of the page's script elements", async () => {
    const hostile = structuredClone(report);
    hostile.config["target"] = "</script><script>window.pwned = true</script>\u2028";
    hostile.by_type = { "</script><b>type</b>": hostile.by_type["short"]! };
    // A staged run's timeline also has active users: the active chart gets their line.
    hostile.timeline = hostile.timeline.map((point, i) => ({ ...point, active_users: i + 1 }));
    const path = join(dir, "hostile.html");
    writeFileSync(path, renderHtmlReport([{ report: hostile, label: "<img src=x onerror=alert(1)>" }]));
    assert.doesNotMatch(jsonForScript({ a: "</script>" }), /<\//);

    const { page, errors } = await watchedPage(browser, null);
    await page.goto(`file://${path}`);
    await page.waitForFunction(() => Object.keys(window.tokenstorm?.charts ?? {}).length === 8);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned ?? false), false);
    const activeSeries = await page.evaluate(() => window.tokenstorm!.charts["active"]!.series.map((series) => series.label));
    assert.deepEqual(activeSeries, ["t (s)", "in flight", "active users"]);
    assert.ok((await page.locator("#facts").innerText()).includes("</script><script>window.pwned"), "shown as text");
    assert.ok((await page.locator("#tables").innerText()).includes("</script><b>type</b>"));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("report without --html, or of a missing file, is a usage error", async () => {
    const noFlag = await runCli(["report", join(dir, "base.json")]);
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /^tokenstorm: report: --html <file> is required/);
    await assert.rejects(reportCommand(join(dir, "nope.json"), { html: join(dir, "x.html") }), (err: Error) => err instanceof UsageError && /nope\.json: no such file/.test(err.message));
    assert.equal(existsSync(join(dir, "x.html")), false);
  });
});
