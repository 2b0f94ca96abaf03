// The run's observability settings (--html, --prometheus-*, --web*, --linger), validated with the
// other run flags, and the live outputs they start: the Prometheus exporter and the web view listen
// before the run begins so a taken port fails the command before any load is sent.
import type { Problems } from "../config/values.js";
import type { Output } from "./output.js";
import { PrometheusOutput } from "./prometheus.js";
import { WEB_POLL_INTERVAL_MS, WebViewOutput } from "./web.js";

export interface ObservabilityFlags {
  html?: string;
  prometheusPort?: string;
  prometheusHost?: string;
  web?: boolean;
  webPort?: string;
  webHost?: string;
  linger?: string;
  allowedHost?: string[];
}

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

export function resolveObservability(flags: ObservabilityFlags, problems: Problems): ObservabilityOptions {
  const prometheusPort = problems.number(flags.prometheusPort, "port", { flag: "--prometheus-port" });
  const webPort = problems.number(flags.webPort, "port", { flag: "--web-port" });
  if (flags.html === "") problems.add("--html needs a file name");
  return {
    html: flags.html || null,
    prometheusPort: prometheusPort ?? null,
    prometheusHost: flags.prometheusHost || LOOPBACK,
    web: flags.web === true || webPort !== undefined ? { port: webPort ?? 0, host: flags.webHost || LOOPBACK } : null,
    lingerS: problems.number(flags.linger, "nonNegative", { flag: "--linger" }) ?? 0,
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
