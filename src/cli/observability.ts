// The `run` flags of the HTML report, the Prometheus exporter and the live web view, registered in one
// place so run.ts stays a list of outputs (settings are resolved in src/report/observability.ts).
import type { Command } from "commander";
import { collect } from "./repeatable.js";

export function addObservabilityOptions(command: Command): Command {
  return command
    .option("--html <file>", "write a single-file HTML report with charts here")
    .option("--prometheus-port <port>", "serve Prometheus metrics at /metrics on this port during the run (0: a free port)")
    .option("--prometheus-host <host>", "address the /metrics server listens on (default 127.0.0.1)")
    .option("--web", "serve a live page with the report's charts, updating every second (URL printed at start)")
    .option("--web-port <port>", "port of the live page (implies --web; default: a free port)")
    .option("--web-host <host>", "address the live page listens on (default 127.0.0.1)")
    .option("--allowed-host <name>", "a host name the /metrics server and the live page answer besides IP addresses and localhost (repeatable; '*': any; guards against DNS rebinding)", collect)
    .option("--linger <s>", "after the run, keep serving /metrics and the live page this many seconds (default 0; the page stays 2 s)");
}
