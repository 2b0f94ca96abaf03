// `tokenstorm compare base.json new.json`: load two saved reports, print what changed, write the
// comparison as JSON if asked, and exit 99 when the new run regressed (0 otherwise, 2 on bad input).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { collect } from "./repeatable.js";
import { ExitCode } from "../errors.js";
import { compareReports, DEFAULT_RULES_DESCRIPTION } from "../report/compare.js";
import { renderComparison } from "../report/compare-console.js";
import { shouldColor } from "../report/console.js";
import { writeComparisonHtml } from "../report/html.js";
import { readReportFile } from "../report/json.js";

export interface CompareFlags {
  threshold?: string[];
  json?: string;
  html?: string;
}

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description("compare two saved reports and flag regressions (exit 99)")
    .argument("<base>", "report JSON of the baseline run")
    .argument("<new>", "report JSON of the run to check")
    .option(
      "--threshold <expr>",
      "rule on the change from base to new, replacing the defaults (repeatable): relative 'ttft.p95<+10%', " +
        "'tokens_per_sec>-5%', or absolute 'e2e.p99<+50ms', 'success_rate>-0.01'",
      collect,
    )
    .option("--json <file>", "write the comparison as JSON here")
    .option("--html <file>", "write an HTML page with both runs' charts overlaid here")
    .addHelpText("after", `\nDefault rules (without --threshold): ${DEFAULT_RULES_DESCRIPTION}.\n`)
    .action(async (basePath: string, newPath: string, flags: CompareFlags) => {
      process.exitCode = await compareCommand(basePath, newPath, flags);
    });
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
}

/** The command itself, with the console stream injectable for tests. Bad input throws a UsageError. */
export async function compareCommand(
  basePath: string,
  newPath: string,
  flags: CompareFlags,
  stream: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const [baseReport, newReport] = [readReportFile(basePath), readReportFile(newPath)];
  const comparison = compareReports(baseReport, newReport, flags.threshold ?? []);
  if (flags.html !== undefined) await writeComparisonHtml(flags.html, { report: baseReport, path: basePath }, { report: newReport, path: newPath });
  if (flags.json !== undefined) {
    await mkdir(dirname(flags.json), { recursive: true });
    await writeFile(flags.json, `${JSON.stringify(comparison, null, 2)}\n`);
  }
  await write(stream, renderComparison(comparison, { color: shouldColor(stream), labels: { base: basePath, new: newPath } }));
  return comparison.regression ? ExitCode.thresholdFailed : ExitCode.ok;
}
