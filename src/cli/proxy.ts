// `tokenstorm proxy`: parse and validate the flags, start the live-traffic proxy and its outputs
// (/metrics, the live web view, raw records, the report), and on Ctrl-C or --duration drain the
// streams in flight for --graceful-stop seconds before writing the session's report.
import { Problems } from "../config/values.js";
import { ExitCode, UsageError } from "../errors.js";
import { renderProxyMetrics } from "../proxy/metrics.js";
import { LiveTrafficProxy } from "../proxy/server.js";
import { ConsoleSummaryOutput } from "../report/console.js";
import { HtmlReportOutput } from "../report/html.js";
import { JsonReportOutput } from "../report/json.js";
import { LOOPBACK } from "../report/observability.js";
import type { Output } from "../report/output.js";
import { ProgressOutput } from "../report/progress.js";
import { PrometheusOutput } from "../report/prometheus.js";
import { RawRequestsOutput } from "../report/raw.js";
import { WebViewOutput, WEB_POLL_INTERVAL_MS } from "../report/web.js";
import { DEFAULT_LISTEN, DEFAULT_UPSTREAM, type ProxyFlags } from "./proxy-command.js";

export interface ProxySettings {
  host: string;
  port: number;
  upstream: URL;
  metrics: { host: string; port: number } | null;
  web: { host: string; port: number } | null;
  /** --allowed-host: host names /metrics and the live page answer besides IP addresses and localhost. */
  allowedHosts: string[];
  maxUpstream: number;
  maxQueue: number;
  idleTimeoutS: number;
  gracefulStopS: number;
  durationS: number | null;
  raw: string | null;
  out: string | null;
  html: string | null;
  quiet: boolean;
}


/** HOST:PORT, [V6]:PORT or a bare port (on 127.0.0.1). */
function parseListen(text: string, problems: Problems): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? problems.number(match[3], "port", { flag: "--listen" }) : undefined;
  if (!match || port === undefined) {
    if (!match) problems.add(`--listen must be HOST:PORT (got "${text}")`);
    return { host: LOOPBACK, port: 0 };
  }
  return { host: match[1] || match[2] || LOOPBACK, port };
}

export function resolveProxySettings(flags: ProxyFlags): ProxySettings {
  const problems = new Problems();
  const listen = parseListen(flags.listen ?? DEFAULT_LISTEN, problems);
  let upstream: URL | null = null;
  try {
    upstream = new URL(flags.upstream ?? DEFAULT_UPSTREAM);
    if (upstream.protocol !== "http:" && upstream.protocol !== "https:") throw new Error("not http");
  } catch {
    problems.add(`--upstream must be an http:// or https:// URL (got "${flags.upstream}")`);
  }
  const metricsPort = problems.number(flags.metricsPort, "port", { flag: "--metrics-port" });
  const webPort = problems.number(flags.webPort, "port", { flag: "--web-port" });
  const maxUpstream = problems.number(flags.maxUpstream, "nonNegativeInt", { flag: "--max-upstream" }) ?? 0;
  const maxQueue = problems.number(flags.maxQueue, "nonNegativeInt", { flag: "--max-queue" }) ?? 1000;
  const idleTimeoutS = problems.number(flags.idleTimeout, "nonNegative", { flag: "--idle-timeout" }) ?? 300;
  const gracefulStopS = problems.number(flags.gracefulStop, "nonNegative", { flag: "--graceful-stop" }) ?? 30;
  const durationS = problems.number(flags.duration, "positive", { flag: "--duration" }) ?? null;
  for (const [flag, value] of [["--raw", flags.raw], ["--out", flags.out], ["--html", flags.html]] as const) {
    if (value === "") problems.add(`${flag} needs a file name`);
  }
  if (!problems.empty) throw new UsageError(problems.lines.join("; "));
  return {
    ...listen,
    upstream: upstream!,
    metrics: metricsPort === undefined ? null : { host: flags.metricsHost || LOOPBACK, port: metricsPort },
    web: flags.web === true || webPort !== undefined ? { host: flags.webHost || LOOPBACK, port: webPort ?? 0 } : null,
    allowedHosts: flags.allowedHost ?? [],
    maxUpstream,
    maxQueue,
    idleTimeoutS,
    gracefulStopS,
    durationS,
    raw: flags.raw || null,
    out: flags.out || null,
    html: flags.html || null,
    quiet: flags.quiet === true,
  };
}

/** The outputs a session feeds: files, progress, the live servers (which listen before the proxy). */
async function outputsFor(settings: ProxySettings, proxyRef: { current: LiveTrafficProxy | null }, config: Record<string, unknown>, log: (line: string) => void): Promise<Output[]> {
  const outputs: Output[] = [];
  if (!settings.quiet) outputs.push(new ProgressOutput({ stream: process.stderr }));
  if (settings.raw) outputs.push(new RawRequestsOutput(settings.raw));
  if (settings.out) outputs.push(new JsonReportOutput(settings.out));
  if (settings.html) outputs.push(new HtmlReportOutput(settings.html));
  if (settings.metrics) {
    const exporter = await PrometheusOutput.start({
      ...settings.metrics,
      lingerS: 0,
      flag: "--metrics-port",
      info: { protocol: "proxy", target: settings.upstream.href },
      extra: () => (proxyRef.current ? renderProxyMetrics(proxyRef.current) : ""),
      allowedHosts: settings.allowedHosts,
    });
    outputs.push(exporter);
    log(`tokenstorm: Prometheus metrics at ${exporter.url}`);
  }
  if (settings.web) {
    const view = await WebViewOutput.start({ ...settings.web, lingerS: (2 * WEB_POLL_INTERVAL_MS) / 1000, config, title: "tokenstorm · live traffic", allowedHosts: settings.allowedHosts });
    outputs.push(view);
    log(`tokenstorm: live view at ${view.url}`);
  }
  outputs.push(new ConsoleSummaryOutput({ stream: process.stdout }));
  return outputs;
}

export async function proxyCommand(flags: ProxyFlags): Promise<number> {
  const settings = resolveProxySettings(flags);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const config: Record<string, unknown> = {
    protocol: "proxy",
    target: settings.upstream.href,
    load_model: "live traffic",
    listen: `${settings.host}:${settings.port}`,
    max_upstream: settings.maxUpstream,
    max_queue: settings.maxQueue,
    graceful_stop_s: settings.gracefulStopS,
  };
  const proxyRef: { current: LiveTrafficProxy | null } = { current: null };
  const outputs = await outputsFor(settings, proxyRef, config, log);
  const proxy = await LiveTrafficProxy.start({
    host: settings.host,
    port: settings.port,
    upstream: settings.upstream,
    maxUpstream: settings.maxUpstream,
    maxQueue: settings.maxQueue,
    idleTimeoutMs: settings.idleTimeoutS * 1000,
    outputs,
    config,
  }).catch(async (err: unknown) => {
    await Promise.all(outputs.map((output) => (output as { close?: () => Promise<void> }).close?.()));
    throw err;
  });
  proxyRef.current = proxy;
  const limit = settings.maxUpstream > 0 ? `, at most ${settings.maxUpstream} upstream at once (queue ${settings.maxQueue})` : "";
  log(`tokenstorm: proxy listening on ${proxy.url} -> ${settings.upstream.href}${limit}`);

  let signals = 0;
  const stop = (): void => {
    signals++;
    if (signals === 1) {
      log(`tokenstorm: stopping: streams in flight may finish for ${settings.gracefulStopS}s (Ctrl-C again to cut them off)`);
      void proxy.stop(settings.gracefulStopS, false);
    } else {
      proxy.cancelAll();
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const timer = settings.durationS === null ? null : setTimeout(() => void proxy.stop(settings.gracefulStopS, false), settings.durationS * 1000);
  // Stays alive on the listening socket until stop() has drained, reported and closed everything.
  const report = await proxy.finished;
  if (timer) clearTimeout(timer);
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (settings.raw) log(`tokenstorm: ${report.summary.requests + report.summary.cancelled} request records in ${settings.raw}`);
  return ExitCode.ok;
}
