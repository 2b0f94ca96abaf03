// Seed 002's "Interpreting results" as checks on a finished report: good when p95 latency is under
// 3 s, the error rate under 1 %, latency does not grow with the number of users, and p99 is not far
// beyond p95; each check that fails is a warning with the seed's likely cause. Voice runs carry the
// verdict in the report JSON (`assessment`) and the console prints it.
import type { LatencySummary } from "../metrics/histogram.js";
import { VOICE_PROTOCOLS } from "../voice/run-options.js";
import type { Assessment, AssessmentCheck, CheckName, Report, TimelinePoint } from "./types.js";

export type { Assessment, AssessmentCheck, CheckName };

/** Seed 002's limits, and our reading of its two qualitative ones. */
export const ASSESSMENT_LIMITS = {
  p95LatencyMs: 3000,
  errorRate: 0.01,
  /** "Latency increases with users": fitted latency at the most users over at the fewest, minus one. */
  latencyGrowth: 0.5,
  /** The fit must explain the trend (Pearson r) before growth counts as caused by users. */
  latencyGrowthCorrelation: 0.7,
  /** "P99 >> P95": p99 at least twice p95. */
  tailRatio: 2,
  /** Seconds with fewer finished requests say nothing about error spikes. */
  spikeMinRequests: 5,
} as const;

const METRIC = "e2e";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

function p95Check(latency: LatencySummary | undefined): AssessmentCheck {
  const limit = ASSESSMENT_LIMITS.p95LatencyMs;
  if (!latency?.count) return { name: "p95_latency", status: "not_assessed", value: null, limit, message: "no successful request to measure" };
  const ok = latency.p95 < limit;
  return {
    name: "p95_latency",
    status: ok ? "good" : "warning",
    value: latency.p95,
    limit,
    message: ok ? `p95 latency ${seconds(latency.p95)} < ${seconds(limit)}` : `p95 latency ${seconds(latency.p95)} >= ${seconds(limit)}`,
  };
}

/** The worst second's error rate, over seconds with enough finished requests to mean something. */
function worstSecond(timeline: TimelinePoint[]): { t_s: number; rate: number } | null {
  let worst: { t_s: number; rate: number } | null = null;
  for (const point of timeline) {
    const finished = point.completed + point.failed;
    if (finished < ASSESSMENT_LIMITS.spikeMinRequests) continue;
    const rate = point.failed / finished;
    if (!worst || rate > worst.rate) worst = { t_s: point.t_s, rate };
  }
  return worst;
}

function errorCheck(report: Report): AssessmentCheck {
  const limit = ASSESSMENT_LIMITS.errorRate;
  const { requests, error_rate: rate } = report.summary;
  if (requests === 0) return { name: "error_rate", status: "not_assessed", value: null, limit, message: "no request finished" };
  const worst = worstSecond(report.timeline);
  const spike = worst && worst.rate >= limit ? `; worst second ${pct(worst.rate)} at ${worst.t_s} s` : "";
  if (rate < limit) return { name: "error_rate", status: "good", value: rate, limit, message: `error rate ${pct(rate)} < ${pct(limit)}${spike}` };
  const top = Object.entries(report.errors).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))[0];
  const cause = top ? `, mostly ${top[0]}` : "";
  return { name: "error_rate", status: "warning", value: rate, limit, message: `error rate ${pct(rate)} >= ${pct(limit)}${cause}${spike}: memory or connection limits?` };
}

/** Least-squares fit of latency on users over the seconds that finished requests. */
function fit(points: Array<[users: number, latencyMs: number]>): { slope: number; intercept: number; r: number } | null {
  const n = points.length;
  const meanX = points.reduce((s, [x]) => s + x, 0) / n;
  const meanY = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    syy += (y - meanY) ** 2;
    sxy += (x - meanX) * (y - meanY);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX, r: syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy) };
}

function growthCheck(timeline: TimelinePoint[]): AssessmentCheck {
  const limit = ASSESSMENT_LIMITS.latencyGrowth;
  // Staged runs count users directly; other runs use the requests in flight at each second's end.
  const usersAt = (p: TimelinePoint): number => p.active_users ?? p.active;
  const points = timeline.filter((p) => p.e2e_p50 !== null && usersAt(p) > 0).map((p): [number, number] => [usersAt(p), p.e2e_p50!]);
  const users = points.map(([x]) => x);
  const fewest = Math.min(...users);
  const most = Math.max(...users);
  const line = points.length >= 3 && most >= fewest + 2 ? fit(points) : null;
  if (!line) {
    return { name: "latency_vs_users", status: "not_assessed", value: null, limit, message: "the number of users did not vary enough to tell (ramp up to see it)" };
  }
  const atFewest = Math.max(1e-6, line.intercept + line.slope * fewest);
  const growth = (line.intercept + line.slope * most) / atFewest - 1;
  const grows = growth > limit && line.r >= ASSESSMENT_LIMITS.latencyGrowthCorrelation;
  const figures = `median latency ${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(0)}% from ${fewest} to ${most} users (${line.slope.toFixed(1)} ms per user, r=${line.r.toFixed(2)})`;
  return {
    name: "latency_vs_users",
    status: grows ? "warning" : "good",
    value: growth,
    limit,
    message: grows ? `${figures}: latency grows with users, a compute (GPU) bottleneck?` : figures,
  };
}

function tailCheck(latency: LatencySummary | undefined): AssessmentCheck {
  const limit = ASSESSMENT_LIMITS.tailRatio;
  if (!latency?.count || latency.p95 <= 0) return { name: "tail_latency", status: "not_assessed", value: null, limit, message: "no successful request to measure" };
  const ratio = latency.p99 / latency.p95;
  const figures = `p99 ${seconds(latency.p99)} is ${ratio.toFixed(2)}x p95`;
  return ratio >= limit
    ? { name: "tail_latency", status: "warning", value: ratio, limit, message: `${figures}: outliers` }
    : { name: "tail_latency", status: "good", value: ratio, limit, message: figures };
}

/** The assessment of a voice run (seed 002's criteria are a voice gateway's); undefined for other protocols. */
export function assessmentFor(report: Report, protocol: string): Assessment | undefined {
  return VOICE_PROTOCOLS.has(protocol) ? assessReport(report) : undefined;
}

export function assessReport(report: Report): Assessment {
  const latency = report.latency[METRIC];
  const checks = [p95Check(latency), errorCheck(report), growthCheck(report.timeline), tailCheck(latency)];
  return { verdict: checks.some((c) => c.status === "warning") ? "warning" : "good", metric: METRIC, checks };
}

/** Console lines for the assessment: a verdict, then one line per check. */
export function assessmentLines(assessment: Assessment, paint: { green(s: string): string; yellow(s: string): string; bold(s: string): string }): string[] {
  const mark = { good: paint.green("✓"), warning: paint.yellow("!"), not_assessed: "-" } as const;
  const verdict = assessment.verdict === "good" ? paint.green("GOOD") : paint.yellow("WARNING");
  return [
    paint.bold(`ASSESSMENT (seed 002 criteria, ${assessment.metric}): `) + verdict,
    ...assessment.checks.map((check) => `  ${mark[check.status]} ${check.name.padEnd(16)} ${check.message}`),
  ];
}
