// `run --prometheus-port P`: serves the run's metrics at /metrics in the Prometheus text format while
// the run goes on. Everything is read from the run's collector when scraped (histogram buckets from
// the HDR histograms), so the hot path pays nothing; after the run the final figures stay up for
// --prometheus-linger seconds so a scrape can catch them.
import type { RunMetricsView } from "../metrics/collector.js";
import type { LatencyHistogram } from "../metrics/histogram.js";
import { LATENCY_METRICS, LATENCY_METRIC_NAMES } from "../metrics/registry.js";
import { VERSION } from "../version.js";
import { lingerThenClose, sendNotFound, sendText, startLiveServer, type LiveServer } from "./http-server.js";
import type { Output } from "./output.js";
import { EXPOSITION_CONTENT_TYPE, Exposition } from "./prometheus-text.js";
import type { Report } from "./types.js";

export const METRIC_PREFIX = "tokenstorm_";
/** Latency histograms exported even before (or without) a sample, so dashboards find them from the start. */
const ALWAYS_EXPORTED = new Set(["ttft", "itl", "tpot", "e2e", "queue"]);

export interface PrometheusOptions {
  host: string;
  port: number;
  /** Seconds to keep serving the final figures after the run ended. */
  lingerS: number;
  /** Labels on tokenstorm_run_info (protocol, target...). */
  info?: Record<string, string>;
  /** The flag named when the port is taken (default --prometheus-port). */
  flag?: string;
  /** More families appended to each scrape (the proxy's queue and per-model figures). */
  extra?: () => string;
  /** Host names answered besides IP addresses and localhost (`*`: any). */
  allowedHosts?: string[];
}

/** The exposition of a run in progress (or finished), as scraped. */
export function renderRunMetrics(collector: RunMetricsView, finished: boolean, info: Record<string, string> = {}): string {
  const overall = collector.overall;
  const text = new Exposition()
    .gauge(`${METRIC_PREFIX}run_info`, "The run being measured (value is always 1)", 1, { version: VERSION, ...info })
    .gauge(`${METRIC_PREFIX}run_finished`, "1 once the run has ended (the figures are final)", finished ? 1 : 0)
    .gauge(`${METRIC_PREFIX}run_elapsed_seconds`, "Seconds since the run started", (collector.lastTickAt - collector.startedAt) / 1000)
    .gauge(`${METRIC_PREFIX}active_requests`, "Requests in flight now", collector.active);
  // Only load models with users (--users stages) set this; others have requests in flight only.
  const activeUsers = (collector as { activeUsers?: number | null }).activeUsers;
  if (typeof activeUsers === "number") text.gauge(`${METRIC_PREFIX}active_users`, "Virtual users running now (staged closed model)", activeUsers);
  if (collector.waitingArrivals !== null) text.gauge(`${METRIC_PREFIX}waiting_arrivals`, "Open-model arrivals waiting for a concurrency slot now (--queue-when-full)", collector.waitingArrivals);
  const health = collector.clientHealth;
  if (health !== null) {
    // The generator's own lag: while it is saturated its TTFT and ITL include it (the report's `client` block).
    text
      .gauge(`${METRIC_PREFIX}client_event_loop_delay_p99_seconds`, "The load generator's event-loop delay p99 over the last second (the highest of its workers')", health.loopDelayP99Ms / 1000)
      .counter(`${METRIC_PREFIX}client_cpu_seconds_total`, "Process CPU the load generator has used (user + system, its workers together)", health.cpuSeconds)
      .gauge(`${METRIC_PREFIX}client_saturated`, "1 once the load generator has saturated (its figures include its own lag), else 0", health.saturated ? 1 : 0);
  }
  text
    .counter(`${METRIC_PREFIX}requests_started_total`, "Requests sent or being sent", collector.started)
    .counter(`${METRIC_PREFIX}requests_total`, "Requests finished, successful or failed (the report's summary.requests)", overall.requests)
    .counter(`${METRIC_PREFIX}requests_successful_total`, "Requests that completed without error", overall.successful)
    .counter(`${METRIC_PREFIX}requests_failed_total`, "Requests that ended in an error", overall.failed)
    .counter(`${METRIC_PREFIX}requests_cancelled_total`, "Requests cut off by the run's own stop", overall.cancelled)
    .counter(`${METRIC_PREFIX}requests_dropped_total`, "Open-model arrivals not sent: the concurrency cap was full", overall.dropped)
    .counter(`${METRIC_PREFIX}requests_good_total`, "Successful requests that met every goodput SLO", overall.good);
  if (collector.errors.size === 0) {
    // An empty family still tells Prometheus (and the dashboard) the metric exists.
    text.counter(`${METRIC_PREFIX}errors_total`, "Failed requests by error class", 0, { class: "none" });
  }
  for (const [errorClass, count] of collector.errors) {
    text.counter(`${METRIC_PREFIX}errors_total`, "Failed requests by error class", count, { class: errorClass });
  }
  text
    .counter(`${METRIC_PREFIX}tokens_total`, "Output tokens of finished requests (the report's summary.tokens_total)", overall.tokens)
    .counter(`${METRIC_PREFIX}tokens_received_total`, "Output tokens counted as they arrived, in flight included", collector.tokensReceived)
    .counter(`${METRIC_PREFIX}tokens_lost_total`, "Tokens the server reported or was asked for that never arrived", overall.tokensLost)
    .counter(`${METRIC_PREFIX}cycles_total`, "Finished client cycles (closed model)", collector.cycles)
    .counter(`${METRIC_PREFIX}connections_opened_total`, "TCP connections established", collector.connectionsOpened)
    .counter(`${METRIC_PREFIX}connections_failed_total`, "TCP connections that could not be established", collector.connectionsFailed);
  for (const name of LATENCY_METRIC_NAMES) {
    const histogram: LatencyHistogram = overall.latency[name];
    if (histogram.count === 0 && !ALWAYS_EXPORTED.has(name)) continue;
    text.histogram(`${METRIC_PREFIX}${name}_seconds`, `${LATENCY_METRICS[name]} (seconds)`, histogram);
  }
  if (collector.byTurn.size > 0) turnMetrics(text, collector);
  return text.toString();
}

/**
 * Multi-turn runs (--turns): conversations, and each turn's requests, TTFT and end-to-end latency
 * under a `turn` label (1, 2, ...: as many series as --turns), so a dashboard sees TTFT fall turn by
 * turn as a server's prefix cache warms, as the console's BY TURN table does.
 */
function turnMetrics(text: Exposition, collector: RunMetricsView): void {
  text
    .counter(`${METRIC_PREFIX}conversations_started_total`, "Multi-turn conversations begun", collector.conversationsStarted)
    .counter(`${METRIC_PREFIX}conversations_completed_total`, "Multi-turn conversations whose every turn succeeded", collector.conversationsCompleted);
  const turns = [...collector.byTurn].sort(([a], [b]) => Number(a) - Number(b));
  // Each family's series together, as the text format requires.
  for (const [turn, set] of turns) text.counter(`${METRIC_PREFIX}turn_requests_total`, "Finished requests by conversation turn", set.requests, { turn });
  for (const [turn, set] of turns) text.counter(`${METRIC_PREFIX}turn_requests_failed_total`, "Failed requests by conversation turn", set.failed, { turn });
  for (const name of TURN_LATENCY) {
    for (const [turn, set] of turns) text.histogram(`${METRIC_PREFIX}turn_${name}_seconds`, `${LATENCY_METRICS[name]} by conversation turn (seconds)`, set.latency[name], { turn });
  }
}

/** The latency metrics exported per turn. */
const TURN_LATENCY = ["ttft", "e2e"] as const;

export class PrometheusOutput implements Output {
  readonly name = "prometheus";
  private collector: RunMetricsView | null = null;
  private finished = false;

  private constructor(
    private readonly server: LiveServer,
    private readonly options: PrometheusOptions,
  ) {}

  /** Listen now, so a taken port fails the command before any load is sent. */
  static async start(options: PrometheusOptions): Promise<PrometheusOutput> {
    let output: PrometheusOutput | null = null;
    const server = await startLiveServer(options.flag ?? "--prometheus-port", options.host, options.port, (_req, res, path) => {
      if (path !== "/metrics") return sendNotFound(res, path);
      const collector = output?.collector;
      // Scraped before the run began: nothing to say yet beyond the metric being up.
      const body = collector ? renderRunMetrics(collector, output!.finished, options.info) + (options.extra?.() ?? "") : "";
      sendText(res, 200, EXPOSITION_CONTENT_TYPE, body);
    }, options.allowedHosts);
    output = new PrometheusOutput(server, options);
    return output;
  }

  get url(): string {
    return `${this.server.url}/metrics`;
  }

  attach(collector: RunMetricsView): void {
    this.collector = collector;
  }

  async finish(_report: Report): Promise<void> {
    this.finished = true;
    await lingerThenClose(this.server, this.options.lingerS);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
