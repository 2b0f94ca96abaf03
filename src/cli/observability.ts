// The `run` flags of the HTML report, the Prometheus exporter and the live web view, registered in one
// place so run.ts stays a list of outputs (settings are resolved in src/report/observability.ts).
import { helpLine } from "../config/settings.js";
import { observabilitySettings } from "../report/observability.js";
import type { Command } from "commander";
import { collect } from "./repeatable.js";

export function addObservabilityOptions(command: Command): Command {
  return command
    .option("--html <file>", helpLine(observabilitySettings, "html"))
    .option("--prometheus-port <port>", helpLine(observabilitySettings, "prometheusPort"))
    .option("--prometheus-host <host>", helpLine(observabilitySettings, "prometheusHost"))
    .option("--web", helpLine(observabilitySettings, "web"))
    .option("--web-port <port>", helpLine(observabilitySettings, "webPort"))
    .option("--web-host <host>", helpLine(observabilitySettings, "webHost"))
    .option("--allowed-host <name>", helpLine(observabilitySettings, "allowedHost"), collect)
    .option("--linger <s>", helpLine(observabilitySettings, "linger"));
}
