// The run's observability settings (--html, --prometheus-*, --web*, --linger), validated with the
// other run flags, and the live outputs they start: the Prometheus exporter and the web view listen
// before the run begins so a taken port fails the command before any load is sent.
import { z } from "zod/v3";
import { listSetting, numberSetting, switchSetting, textSetting, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import type { Output } from "./output.js";
import { PrometheusOutput } from "./prometheus.js";
import { WEB_POLL_INTERVAL_MS, WebViewOutput } from "./web.js";

/** The live and end-of-run outputs' settings (composed in src/config/run-settings.ts). */
export const observabilitySettings = z.object({
  html: textSetting("--html", "write a single-file HTML report with charts here"),
  prometheusPort: numberSetting("--prometheus-port", "port", "serve Prometheus metrics at /metrics on this port during the run (0: a free port)"),
  prometheusHost: textSetting("--prometheus-host", "address the /metrics server listens on", "127.0.0.1"),
  web: switchSetting("--web", "serve a live page with the report's charts, updating every second (URL printed at start)"),
  webPort: numberSetting("--web-port", "port", "port of the live page (implies --web; default: a free port)"),
  webHost: textSetting("--web-host", "address the live page listens on", "127.0.0.1"),
  linger: numberSetting("--linger", "nonNegative", "after the run, keep serving /metrics and the live page this many seconds (default 0; the page stays 2 s)", 0),
  allowedHost: listSetting("--allowed-host", "a host name the /metrics server and the live page answer besides IP addresses and localhost (repeatable; '*': any; guards against DNS rebinding)"),
});

export interface ObservabilityOptions {
  /** Write the single-file HTML report here when the run ends. */
  html: string | null;
  /** Serve /metrics on this port during the run (0: a free port); null: no exporter. */
  prometheusPort: number | null;
  prometheusHost: string;
  /** Serve the live web view; port 0 picks a free one. */
  web: { port: number; host: string } | null;
  /** Seconds the exporter and the web view keep serving the final figures after the run. */
  lingerS: number;
  /** Host names, besides IP addresses and localhost, the exporter and the web view answer (`*`: any). */
  allowedHosts: string[];
}

export const LOOPBACK = "127.0.0.1";

export function resolveObservability(flags: Settings<typeof observabilitySettings>, problems: Problems): ObservabilityOptions {
  const { prometheusPort, webPort } = flags;
  if (flags.html === "") problems.add("--html needs a file name");
  return {
    html: flags.html || null,
    prometheusPort: prometheusPort ?? null,
    prometheusHost: flags.prometheusHost || LOOPBACK,
    web: flags.web === true || webPort !== undefined ? { port: webPort ?? 0, host: flags.webHost || LOOPBACK } : null,
    lingerS: flags.linger ?? 0,
    allowedHosts: flags.allowedHost ?? [],
  };
}

export interface LiveOutputs {
  outputs: Output[];
  /** Stop serving at once (the run failed before its outputs were finished). */
  close(): Promise<void>;
}

/** Start the exporter and the web view asked for; `announce` gets the URLs to print. */
export async function startLiveOutputs(
  options: ObservabilityOptions,
  reportConfig: Record<string, unknown>,
  announce: (line: string) => void,
): Promise<LiveOutputs> {
  const started: Array<PrometheusOutput | WebViewOutput> = [];
  try {
    if (options.prometheusPort !== null) {
      const info: Record<string, string> = {};
      for (const key of ["protocol", "target"]) if (typeof reportConfig[key] === "string") info[key] = reportConfig[key] as string;
      const exporter = await PrometheusOutput.start({ host: options.prometheusHost, port: options.prometheusPort, lingerS: options.lingerS, info, allowedHosts: options.allowedHosts });
      started.push(exporter);
      announce(`tokenstorm: Prometheus metrics at ${exporter.url}${options.lingerS > 0 ? ` (served ${options.lingerS}s after the run)` : " (during the run; --linger to keep them up after it)"}`);
    }
    if (options.web) {
      // An open page polls each second: staying up two polls past the end lets it show the final figures.
      const lingerS = Math.max(options.lingerS, (2 * WEB_POLL_INTERVAL_MS) / 1000);
      const view = await WebViewOutput.start({ ...options.web, lingerS, config: reportConfig, allowedHosts: options.allowedHosts });
      started.push(view);
      announce(`tokenstorm: live view at ${view.url}`);
    }
  } catch (err) {
    await Promise.all(started.map((output) => output.close()));
    throw err;
  }
  return { outputs: started, close: async () => void (await Promise.all(started.map((output) => output.close()))) };
}
