// Real headless Chromium (the Debian package) driven by playwright-core, for tests of the chart
// pages: what was drawn, what the console said, and whether anything reached for the network.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Screenshots also land here (dist/test-artifacts/) so a person can look at them after the suite. */
export const ARTIFACTS_DIR = resolve(fileURLToPath(import.meta.url), "../../../test-artifacts");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
  /** URLs requested other than the page itself (and, for a live page, its own origin). */
  foreignRequests: string[];
}

/** A page that records console errors and refuses (and records) requests leaving `allowedOrigin`. */
export async function watchedPage(browser: Browser, allowedOrigin: string | null): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || (allowedOrigin !== null && url.startsWith(allowedOrigin))) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  return { page, errors, foreignRequests };
}

export interface DrawnChart {
  id: string;
  /** Series (x included) and points on x of the chart's uPlot instance. */
  series: number;
  points: number;
  /** Pixels of the chart's canvas that are not blank (transparent or white). */
  inkedPixels: number;
}

/** Every chart section on the page with its uPlot data shape and how much of its canvas was drawn on. */
export function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() => {
    const charts = window.tokenstorm?.charts ?? {};
    return [...document.querySelectorAll<HTMLElement>("[data-chart]")].map((section) => {
      const id = section.dataset["chart"]!;
      const canvas = section.querySelector("canvas");
      let inkedPixels = 0;
      if (canvas) {
        const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4) {
          const blank = pixels[i + 3] === 0 || (pixels[i] === 255 && pixels[i + 1] === 255 && pixels[i + 2] === 255);
          if (!blank) inkedPixels++;
        }
      }
      const plot = charts[id];
      return { id, series: plot?.data.length ?? 0, points: plot?.data[0]?.length ?? 0, inkedPixels };
    });
  });
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string[]> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const paths = [join(dir, name), join(ARTIFACTS_DIR, name)];
  for (const path of paths) await page.screenshot({ path, fullPage: true });
  return paths;
}
