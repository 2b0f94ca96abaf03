// A run in which not one request succeeded did not measure the service: it ends with exit 1 and one
// line naming the top error class, unless the user gave thresholds (they decide) or --allow-failures.
import type { Report } from "./types.js";

/** Why the run counts as failed ("no request succeeded: 20 of 20 failed, most as refused (20)"), or null. */
export function noSuccessReason(report: Report): string | null {
  const { requests, successful, failed } = report.summary;
  if (requests === 0 || successful > 0) return null;
  const [topClass, topCount] = Object.entries(report.errors).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))[0] ?? ["unknown", 0];
  return `no request succeeded: ${failed} of ${requests} failed, most as ${topClass} (${topCount}); --allow-failures accepts such a run`;
}
