// `run --web`: a loopback page with the HTML report's charts, updating each second while the run goes
// on. The page polls /data?from=N and gets the run's current figures plus the timeline seconds it
// does not have yet; everything is computed from the collector only when asked.
import { nowMs, wallClockIso } from "../clock.js";
import type { RunMetricsView } from "../metrics/collector.js";
import { lingerThenClose, sendNotFound, sendText, startLiveServer, type LiveServer } from "./http-server.js";
import type { Output } from "./output.js";
import { pageRunFromCollector, pageRunFromReport, type PageData, type PageRun } from "./page/model.js";
import { renderPage } from "./page/template.js";
import type { Report } from "./types.js";

export const WEB_POLL_INTERVAL_MS = 1000;

export interface WebViewOptions {
  host: string;
  port: number;
  /** Seconds to keep serving the final figures after the run ended. */
  lingerS: number;
  /** Shown on the page (protocol, target...). */
  config?: Record<string, unknown>;
  /** The page title (default "tokenstorm · live run"). */
  title?: string;
  /** Host names answered besides IP addresses and localhost (`*`: any). */
  allowedHosts?: string[];
}

export class WebViewOutput implements Output {
  readonly name = "web";
  private collector: RunMetricsView | null = null;
  private startedAtIso = wallClockIso();
  /** Once the run ended, the page shows the report itself (thresholds included). */
  private finalReport: Report | null = null;

  private constructor(
    private readonly server: LiveServer,
    private readonly options: WebViewOptions,
  ) {}

  static async start(options: WebViewOptions): Promise<WebViewOutput> {
    let output: WebViewOutput | null = null;
    const server = await startLiveServer("--web-port", options.host, options.port, (_req, res, path, query) => {
      if (path === "/") return sendText(res, 200, "text/html; charset=utf-8", output!.page());
      if (path === "/data") return sendText(res, 200, "application/json", output!.data(Number(query.get("from") ?? 0)));
      sendNotFound(res, path);
    }, options.allowedHosts);
    output = new WebViewOutput(server, options);
    return output;
  }

  get url(): string {
    return `${this.server.url}/`;
  }

  attach(collector: RunMetricsView): void {
    this.collector = collector;
    this.startedAtIso = wallClockIso();
  }

  /** The page starts empty and fills itself from /data. */
  private page(): string {
    const data: PageData = {
      title: this.options.title ?? "tokenstorm · live run",
      mode: "live",
      runs: [],
      live: { dataPath: "/data", intervalMs: WEB_POLL_INTERVAL_MS },
    };
    return renderPage(data);
  }

  private data(requestedFrom: number): string {
    const collector = this.collector;
    const timelineFrom = Number.isInteger(requestedFrom) && requestedFrom > 0 ? requestedFrom : 0;
    let run: PageRun | null = null;
    if (this.finalReport) {
      run = pageRunFromReport(this.finalReport, "run");
      run.timeline = run.timeline.slice(timelineFrom);
    } else if (collector) {
      const elapsedS = (nowMs() - collector.startedAt) / 1000;
      run = pageRunFromCollector({ collector, label: "run", startedAtIso: this.startedAtIso, config: this.options.config ?? {}, elapsedS, timelineFrom });
    }
    // Before the run starts (embedded emulator still coming up) there is nothing to show yet.
    return JSON.stringify({ finished: this.finalReport !== null, run });
  }

  async finish(report: Report): Promise<void> {
    this.finalReport = report;
    await lingerThenClose(this.server, this.options.lingerS);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
