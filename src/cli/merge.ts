// `tokenstorm merge a.json b.json ... --out all.json`: the reports of a run's segments (or of runs
// side by side) merged into the report one process would have written, printed as the usual
// summary, gated by the run's thresholds and --threshold on the merged data (exit 99), exit 1 when a
// segment is missing.
import type { Command } from "commander";
import { collect } from "./repeatable.js";
import { mergeReports } from "../distributed/merge.js";
import { ExitCode } from "../errors.js";
import { ConsoleSummaryOutput } from "../report/console.js";
import { readReportFile, writeReportFile } from "../report/json.js";
import { evaluateThresholds, parseThresholds, reportLatencyMetrics } from "../report/thresholds.js";

export interface MergeFlags {
  out?: string;
  threshold?: string[];
  quiet?: boolean;
}

export function registerMergeCommand(program: Command): void {
  program
    .command("merge")
    .description("merge the reports of a run's segments into one report (histograms merged, thresholds on the merged data)")
    .argument("<reports...>", "report JSON files (from run --segment i/N, or any runs)")
    .option("--out <file>", "write the merged report JSON here")
    .option("--threshold <expr>", "pass/fail criterion on the merged report, besides the run's own, e.g. 'ttft.p95<2500ms' (repeatable; exit 99)", collect)
    .option("--quiet", "no console summary")
    .action(async (paths: string[], flags: MergeFlags) => {
      process.exitCode = await mergeCommand(paths, flags);
    });
}

export async function mergeCommand(paths: string[], flags: MergeFlags, stream: NodeJS.WritableStream = process.stdout): Promise<number> {
  const named = paths.map((path) => ({ name: path, report: readReportFile(path) }));
  const { report, missing, warnings } = mergeReports(named);
  // The run's own thresholds are already evaluated on the merged data; these join them. Parsed
  // against the merged report's metrics, so a typo is a usage error like anywhere else.
  const extra = (flags.threshold ?? []).filter((expression) => !report.thresholds.some((t) => t.expression === expression));
  const thresholds = parseThresholds(extra, { latencyMetrics: reportLatencyMetrics(report) });
  report.thresholds = [...report.thresholds, ...evaluateThresholds(thresholds, report)];
  for (const warning of warnings) process.stderr.write(`tokenstorm: merge: ${warning}\n`);
  if (flags.out !== undefined) await writeReportFile(flags.out, report);
  if (!flags.quiet) await new ConsoleSummaryOutput({ stream }).finish(report);
  for (const segment of missing) process.stderr.write(`tokenstorm: MISSING segment ${segment}: no report given for it\n`);
  if (missing.length > 0) return ExitCode.runFailed;
  return report.thresholds.some((t) => !t.ok) ? ExitCode.thresholdFailed : ExitCode.ok;
}
