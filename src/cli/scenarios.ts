// `tokenstorm scenarios`: lists the named scenarios `run --scenario NAME` accepts, with the load
// model and flags each one stands for.
import type { Command } from "commander";
import { SCENARIOS, scenarioModel, scenarioParameters } from "../config/scenarios.js";

/** One row per scenario, columns padded to their widest cell. */
export function renderScenarioTable(): string {
  const rows = [["name", "model", "parameters", "description"], ...SCENARIOS.map((s) => [s.name, scenarioModel(s), scenarioParameters(s), s.description])];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const lines = rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join("  "));
  return `${lines.join("\n")}\n\nRun one with \`tokenstorm run --scenario NAME\`; flags given with it override the scenario's.\n`;
}

export function registerScenariosCommand(program: Command): void {
  program
    .command("scenarios")
    .description("list the named scenarios for `run --scenario`: staged users and arrival patterns")
    .option("--json", "print the scenarios as JSON")
    .action((flags: { json?: boolean }) => {
      process.stdout.write(flags.json ? `${JSON.stringify(SCENARIOS, null, 2)}\n` : renderScenarioTable());
    });
}
