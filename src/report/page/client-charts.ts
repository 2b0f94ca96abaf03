// Browser side of the chart page: turns the runs' timelines and distributions into uPlot options and
// data. A second run (compare) overlays the first with dashed lines; series of both runs are aligned
// on a shared x with uPlot.join.
import type UPlot from "uplot";
import { quantileLabel } from "./client-format.js";
import type { PageRun } from "./model.js";

declare const uPlot: typeof UPlot;

export interface ChartSpec {
  id: string;
  title: string;
  note: string;
  options: Omit<UPlot.Options, "width" | "height">;
  data: UPlot.AlignedData;
}

type Column = Array<number | null>;

const COLORS = {
  requests: "#2563eb",
  tokens: "#16a34a",
  active: "#9333ea",
  users: "#ea580c",
  p50: "#0891b2",
  p95: "#dc2626",
  failed: "#dc2626",
  ttft: "#2563eb",
  itl: "#16a34a",
  tpot: "#ca8a04",
  e2e: "#9333ea",
} as const;

/** Per-second series of one run, rates divided by each point's real length (the last one is partial). */
interface Derived {
  t: number[];
  requestsPerSec: Column;
  tokensPerSec: Column;
  failedPerSec: Column;
  active: Column;
  activeUsers: Column | null;
  latency: Record<string, Column>;
  /** `tokenstorm proxy` sessions: the upstream gate each second; null for runs. */
  queue: { depth: Column; depthMax: Column; upstream: Column; waitP50: Column; waitP95: Column } | null;
}

const MIN_RATE_SECONDS = 0.5;

const TIMELINE_LATENCIES = ["ttft_p50", "ttft_p95", "itl_p50", "itl_p95", "e2e_p50", "e2e_p95"] as const;

function derive(run: PageRun): Derived {
  const points = run.timeline;
  const t = points.map((p) => p.t_s);
  const seconds = points.map((p, i) => p.t_s - (i > 0 ? points[i - 1]!.t_s : 0));
  // The run's last, partial second can be a few milliseconds long: too short to make a rate of.
  const rate = (value: (i: number) => number): Column =>
    points.map((_, i) => (seconds[i]! < MIN_RATE_SECONDS ? null : Math.round((value(i) / seconds[i]!) * 100) / 100));
  const hasUsers = points.some((p) => typeof (p as unknown as Record<string, unknown>)["active_users"] === "number");
  const latency: Record<string, Column> = {};
  for (const key of TIMELINE_LATENCIES) latency[key] = points.map((p) => p[key] ?? null);
  const hasQueue = points.some((p) => typeof p.queue_depth === "number");
  return {
    t,
    requestsPerSec: rate((i) => points[i]!.completed + points[i]!.failed),
    tokensPerSec: rate((i) => points[i]!.tokens),
    failedPerSec: rate((i) => points[i]!.failed),
    active: points.map((p) => p.active),
    activeUsers: hasUsers ? points.map((p) => ((p as unknown as Record<string, number | undefined>)["active_users"] ?? null)) : null,
    latency,
    queue: hasQueue
      ? {
          depth: points.map((p) => p.queue_depth ?? null),
          depthMax: points.map((p) => p.queue_depth_max ?? null),
          upstream: points.map((p) => p.upstream_in_flight ?? null),
          waitP50: points.map((p) => p.queue_wait_p50 ?? null),
          waitP95: points.map((p) => p.queue_wait_p95 ?? null),
        }
      : null,
  };
}

interface SeriesColumn {
  label: string;
  color: string;
  scale?: string;
  pick(derived: Derived): Column | null;
}

function suffix(runs: PageRun[], index: number): string {
  return runs.length > 1 ? ` · ${runs[index]!.label}` : "";
}

/** Lines of the second run are dashed, so overlays read without a legend lookup. */
function lineStyle(index: number): Partial<UPlot.Series> {
  return index === 0 ? { width: 2 } : { width: 2, dash: [7, 4] };
}

/** Align one table per run on the union of their x values. */
function joined(tables: UPlot.AlignedData[]): UPlot.AlignedData {
  return tables.length === 1 ? tables[0]! : uPlot.join(tables);
}

const xSeconds: UPlot.Axis = { label: "seconds since start", size: 40 };

function timeChart(id: string, title: string, note: string, runs: PageRun[], derived: Derived[], columns: SeriesColumn[], axes: UPlot.Axis[], scales: UPlot.Scales = {}): ChartSpec {
  const series: UPlot.Series[] = [{ label: "t (s)" }];
  const tables: UPlot.AlignedData[] = [];
  derived.forEach((d, runIndex) => {
    const present = columns.filter((c) => c.pick(d) !== null);
    tables.push([d.t, ...present.map((c) => c.pick(d)!)] as UPlot.AlignedData);
    for (const c of present) {
      series.push({ label: `${c.label}${suffix(runs, runIndex)}`, stroke: c.color, scale: c.scale ?? "y", spanGaps: true, ...lineStyle(runIndex) });
    }
  });
  return {
    id,
    title,
    note,
    options: { series, axes: [xSeconds, ...axes], scales: { x: { time: false }, ...scales } },
    data: joined(tables),
  };
}

function latencyOverTime(metric: "ttft" | "itl" | "e2e", title: string, runs: PageRun[], derived: Derived[]): ChartSpec {
  return timeChart(
    `${metric}-over-time`,
    title,
    "percentiles of the requests (tokens, for ITL) that arrived in each second",
    runs,
    derived,
    [
      { label: `${metric} p50`, color: COLORS.p50, pick: (d) => d.latency[`${metric}_p50`] ?? null },
      { label: `${metric} p95`, color: COLORS.p95, pick: (d) => d.latency[`${metric}_p95`] ?? null },
    ],
    [{ label: "ms", size: 60 }],
  );
}

/** Mean of each latency over the seconds spent at each load level, so each level is one point. */
function latencyByLoad(run: PageRun, load: (point: PageRun["timeline"][number]) => number | null): UPlot.AlignedData {
  const levels = new Map<number, { ttft: number[]; e2e: number[] }>();
  for (const point of run.timeline) {
    const x = load(point);
    if (x === null || (point.ttft_p95 === null && point.e2e_p95 === null)) continue;
    const level = levels.get(x) ?? { ttft: [], e2e: [] };
    if (point.ttft_p95 !== null) level.ttft.push(point.ttft_p95);
    if (point.e2e_p95 !== null) level.e2e.push(point.e2e_p95);
    levels.set(x, level);
  }
  const mean = (values: number[]): number | null => (values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000);
  const active = [...levels.keys()].sort((a, b) => a - b);
  return [active, active.map((a) => mean(levels.get(a)!.ttft)), active.map((a) => mean(levels.get(a)!.e2e))];
}

const pointsOnly: Partial<UPlot.Series> = { paths: () => null, points: { show: true, size: 8 } };

/** Users when every run has them (seed 002's staged runs), requests in flight otherwise. */
function latencyVsLoad(runs: PageRun[], derived: Derived[]): ChartSpec {
  const byUsers = derived.every((d) => d.activeUsers !== null);
  const loadName = byUsers ? "active users" : "requests in flight";
  const load = (point: PageRun["timeline"][number]): number | null =>
    byUsers ? ((point as unknown as Record<string, number | null | undefined>)["active_users"] ?? null) : point.active;
  const series: UPlot.Series[] = [{ label: byUsers ? "users" : "in flight" }];
  runs.forEach((_, runIndex) => {
    const fill = runIndex === 0 ? undefined : "#ffffff";
    series.push({ label: `ttft p95${suffix(runs, runIndex)}`, stroke: COLORS.ttft, scale: "y", ...pointsOnly, points: { show: true, size: 8, fill } });
    series.push({ label: `e2e p95${suffix(runs, runIndex)}`, stroke: COLORS.e2e, scale: "e2e", ...pointsOnly, points: { show: true, size: 8, fill } });
  });
  return {
    id: "latency-vs-load",
    title: "Latency vs load",
    note: `p95 per second, averaged over the seconds spent at each number of ${loadName}`,
    options: {
      series,
      axes: [{ label: loadName, size: 40 }, { label: "ttft p95 ms", size: 60 }, { label: "e2e p95 ms", scale: "e2e", side: 1, size: 70, grid: { show: false } }],
      scales: { x: { time: false } },
    },
    data: joined(runs.map((run) => latencyByLoad(run, load))),
  };
}

const DISTRIBUTED = [
  { metric: "ttft", color: COLORS.ttft },
  { metric: "itl", color: COLORS.itl },
  { metric: "tpot", color: COLORS.tpot },
  { metric: "e2e", color: COLORS.e2e },
] as const;

function isDecade(value: number): boolean {
  const exponent = Math.log10(value);
  return Math.abs(exponent - Math.round(exponent)) < 1e-9;
}

function latencyDistribution(runs: PageRun[]): ChartSpec {
  const series: UPlot.Series[] = [{ label: "quantile", value: (_u, x) => (x === null ? "–" : quantileLabel(x)) }];
  const tables: UPlot.AlignedData[] = [];
  runs.forEach((run, runIndex) => {
    for (const { metric, color } of DISTRIBUTED) {
      const curve = run.distributions[metric];
      if (!curve || curve.x.length === 0) continue;
      // A log axis cannot place 0 ms; those quantiles sit below the chart instead.
      tables.push([curve.x, curve.ms.map((ms) => (ms > 0 ? ms : null))]);
      series.push({ label: `${metric}${suffix(runs, runIndex)}`, stroke: color, spanGaps: true, ...lineStyle(runIndex) });
    }
  });
  return {
    id: "latency-distribution",
    title: "Latency distribution",
    note: "latency at each quantile, from the run's HDR histograms (log scales: the tail gets as much room as the median)",
    options: {
      series,
      axes: [
        // Log axes put minor ticks between decades; only the decades (p90, p99, p99.9...) get a label.
        { label: "quantile", size: 40, values: (_u, splits) => splits.map((x) => (isDecade(x) ? quantileLabel(x) : "")) },
        { label: "ms", size: 60 },
      ],
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
    },
    data: tables.length === 0 ? [[], []] : joined(tables),
  };
}

/** The proxy's queue panel: depth and upstream in flight (counts, left), wait for a slot (ms, right). */
function queuePanel(runs: PageRun[], derived: Derived[]): ChartSpec {
  return timeChart(
    "queue",
    "Proxy queue",
    "requests waiting for an upstream slot (at the end of each second, and the most during it), requests upstream, and the wait of those admitted in the second",
    runs,
    derived,
    [
      { label: "queue depth", color: COLORS.active, pick: (d) => d.queue?.depth ?? null },
      { label: "queue depth max", color: COLORS.users, pick: (d) => d.queue?.depthMax ?? null },
      { label: "upstream in flight", color: COLORS.requests, pick: (d) => d.queue?.upstream ?? null },
      { label: "wait p50", color: COLORS.p50, scale: "ms", pick: (d) => d.queue?.waitP50 ?? null },
      { label: "wait p95", color: COLORS.p95, scale: "ms", pick: (d) => d.queue?.waitP95 ?? null },
    ],
    [{ label: "requests", size: 60 }, { label: "wait ms", scale: "ms", side: 1, size: 70, grid: { show: false } }],
  );
}

/** Every chart of the page, in display order. */
export function chartSpecs(runs: PageRun[]): ChartSpec[] {
  const derived = runs.map(derive);
  const hasUsers = derived.some((d) => d.activeUsers !== null);
  const hasQueue = derived.some((d) => d.queue !== null);
  return [
    ...(hasQueue ? [queuePanel(runs, derived)] : []),
    timeChart(
      "throughput",
      "Throughput",
      "finished requests and received tokens per second",
      runs,
      derived,
      [
        { label: "requests/s", color: COLORS.requests, pick: (d) => d.requestsPerSec },
        { label: "tokens/s", color: COLORS.tokens, scale: "tokens", pick: (d) => d.tokensPerSec },
      ],
      [{ label: "requests/s", size: 60 }, { label: "tokens/s", scale: "tokens", side: 1, size: 70, grid: { show: false } }],
    ),
    timeChart(
      "active",
      hasUsers ? "Active users and requests in flight" : "Requests in flight",
      "at the end of each second",
      runs,
      derived,
      [
        { label: "in flight", color: COLORS.active, pick: (d) => d.active },
        { label: "active users", color: COLORS.users, pick: (d) => d.activeUsers },
      ],
      [{ label: "count", size: 60 }],
    ),
    latencyOverTime("ttft", "Time to first token over time", runs, derived),
    latencyOverTime("itl", "Inter-token latency over time", runs, derived),
    latencyOverTime("e2e", "End-to-end latency over time", runs, derived),
    latencyDistribution(runs),
    latencyVsLoad(runs, derived),
    timeChart(
      "errors",
      "Errors over time",
      "failed requests per second (classes in the errors table)",
      runs,
      derived,
      [{ label: "failed/s", color: COLORS.failed, pick: (d) => d.failedPerSec }],
      [{ label: "failed/s", size: 60 }],
    ),
  ];
}
