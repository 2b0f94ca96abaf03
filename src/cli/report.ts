// `tokenstorm report report.json --html out.html`: turn a saved report into the single-file HTML
// report (the same page `run --html` writes). Bad input is a one-line usage error (exit 2).
import type { Command } from "commander";
import { ExitCode, UsageError } from "../errors.js";
import { labelForPath, writeHtmlReport } from "../report/html.js";
import { readReportFile } from "../report/json.js";
import type { Report } from "../report/types.js";

export interface ReportFlags {
  html?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("render a saved report JSON as a single-file HTML report with charts")
    .argument("<report>", "report JSON written by `tokenstorm run --out`, or raw request records (.ndjson, from --raw of run or proxy)")
    .option("--html <file>", "write the HTML report here")
    .action(async (reportPath: string, flags: ReportFlags) => {
      process.exitCode = await reportCommand(reportPath, flags);
    });
}

export async function reportCommand(reportPath: string, flags: ReportFlags, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<number> {
  if (!flags.html) throw new UsageError("report: --html <file> is required (the only format so far)");
  // Raw records (run --raw, proxy --raw) are rebuilt into a report; anything else is a report JSON.
  let report: Report;
  if (/\.(ndjson|jsonl)$/i.test(reportPath)) {
    const { reportFromRawFile } = await import("../report/from-raw.js");
    report = await reportFromRawFile(reportPath);
  } else report = readReportFile(reportPath);
  await writeHtmlReport(flags.html, [{ report, label: labelForPath(reportPath) }]);
  log(`tokenstorm: HTML report written to ${flags.html}`);
  return ExitCode.ok;
}
