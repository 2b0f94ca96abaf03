// The single-file HTML report (--html, `tokenstorm report --html`, `compare --html`): summary cards,
// thresholds, charts and tables of one report, or of two overlaid, written atomically.
import { basename, dirname } from "node:path";
import { writeFileAtomically } from "./json.js";
import type { Output } from "./output.js";
import { pageDataForReports } from "./page/model.js";
import { renderPage } from "./page/template.js";
import type { Report } from "./types.js";

export interface LabelledReport {
  report: Report;
  label: string;
}

function titleFor(reports: LabelledReport[]): string {
  if (reports.length > 1) return `tokenstorm: ${reports.map((r) => r.label).join(" vs ")}`;
  const started = reports[0]?.report.tokenstorm.started_at;
  return `tokenstorm report${started ? ` · ${started}` : ""}`;
}

export function renderHtmlReport(reports: LabelledReport[]): string {
  return renderPage(pageDataForReports(reports, titleFor(reports)));
}

/** Written atomically, so a viewer never opens half a file. */
export function writeHtmlReport(path: string, reports: LabelledReport[]): Promise<void> {
  return writeFileAtomically(path, renderHtmlReport(reports));
}

/** A label for a report file on a page: its file name, or its folder when the name is the default. */
export function labelForPath(path: string): string {
  const name = basename(path);
  return name === "report.json" ? `${basename(dirname(path))}/${name}` : name;
}

/** Writes the HTML report when the run finishes. */
export class HtmlReportOutput implements Output {
  readonly name = "html";

  constructor(private readonly path: string) {}

  finish(report: Report): Promise<void> {
    return writeHtmlReport(this.path, [{ report, label: "run" }]);
  }
}

/** `compare --html`: both runs on one page, the new one dashed over the base; labels from the file names. */
export function writeComparisonHtml(path: string, base: { report: Report; path: string }, next: { report: Report; path: string }): Promise<void> {
  let [baseLabel, newLabel] = [labelForPath(base.path), labelForPath(next.path)];
  if (baseLabel === newLabel) [baseLabel, newLabel] = ["base", "new"];
  return writeHtmlReport(path, [
    { report: base.report, label: baseLabel },
    { report: next.report, label: newLabel },
  ]);
}
