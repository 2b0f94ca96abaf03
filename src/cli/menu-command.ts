// The `tokenstorm run` command line the interactive menu builds from its answers: only what differs
// from the chosen scenario goes in, and it is shown quoted exactly as a shell would need it.

export interface MenuAnswers {
  /** A named scenario, or null for a custom test. */
  scenario: string | null;
  target?: string;
  model?: string;
  protocol?: string;
  /** Custom test: `closed`, `staged` or an open pattern name. */
  loadModel?: string;
  rps?: string;
  users?: string;
  clients?: string;
  duration?: string;
  maxConcurrent?: string;
  out?: string;
}

/** Answer field and the run flag it becomes, in the order they are written. */
const FLAG_ORDER: Array<[keyof MenuAnswers, string]> = [
  ["target", "--target"],
  ["model", "--model"],
  ["protocol", "--protocol"],
  ["users", "--users"],
  ["clients", "--clients"],
  ["rps", "--rps"],
  ["duration", "--duration"],
  ["maxConcurrent", "--max-concurrent"],
  ["out", "--out"],
];

/** The arguments after `tokenstorm run`. */
export function menuRunArgs(answers: MenuAnswers): string[] {
  const args: string[] = [];
  if (answers.scenario !== null) args.push("--scenario", answers.scenario);
  else if (answers.loadModel !== undefined && answers.loadModel !== "closed" && answers.loadModel !== "staged") args.push("--pattern", answers.loadModel);
  for (const [field, flag] of FLAG_ORDER) {
    const value = answers[field];
    if (typeof value === "string" && value !== "") args.push(flag, value);
  }
  return args;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(args: readonly string[], command = "run"): string {
  return ["tokenstorm", command, ...args].map(shellQuote).join(" ");
}

/** The menu's "Monitor only" entry: seed 001's proxy (:11435 in front of Ollama, metrics on :8001). */
export interface MonitorAnswers {
  listen: string;
  upstream: string;
  metricsPort: string;
  /** Empty: no upstream limit. */
  maxUpstream: string;
}

export const MONITOR_DEFAULTS: MonitorAnswers = { listen: "127.0.0.1:11435", upstream: "http://127.0.0.1:11434", metricsPort: "8001", maxUpstream: "" };

/** The arguments after `tokenstorm proxy`: the live page always, the limit when one was given. */
export function monitorProxyArgs(answers: MonitorAnswers): string[] {
  const args = ["--listen", answers.listen, "--upstream", answers.upstream, "--metrics-port", answers.metricsPort];
  if (answers.maxUpstream !== "") args.push("--max-upstream", answers.maxUpstream);
  return [...args, "--web"];
}

/** One line from a proxy's /metrics text for watching it: queue, upstream, requests, errors. */
export function monitorLine(metricsText: string): string | null {
  const value = (name: string): number | null => {
    const match = new RegExp(`^${name} (\\S+)$`, "m").exec(metricsText);
    return match ? Number(match[1]) : null;
  };
  const depth = value("tokenstorm_proxy_queue_depth");
  if (depth === null) return null;
  const fields: Array<[string, number | null]> = [
    ["queue", depth],
    ["queue_max", value("tokenstorm_proxy_queue_depth_max")],
    ["upstream", value("tokenstorm_proxy_upstream_in_flight")],
    ["requests", value("tokenstorm_requests_total")],
    ["failed", value("tokenstorm_requests_failed_total")],
    ["rejected", value("tokenstorm_proxy_rejected_total")],
    ["tokens", value("tokenstorm_tokens_received_total")],
  ];
  return fields.map(([name, v]) => `${name}=${v ?? "-"}`).join(" ");
}
