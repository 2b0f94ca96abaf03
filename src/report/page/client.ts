// Browser side of the chart page: reads the embedded page data, draws the summary cards, thresholds,
// charts and tables, and in live mode polls the run for new figures each second. uPlot is a global
// (its script is inlined before this one); nothing is fetched from the network.
import type UPlot from "uplot";
import { chartSpecs, type ChartSpec } from "./client-charts.js";
import { el, formatChange, formatMs, formatNumber, formatPercent, table } from "./client-format.js";
import type { PageData, PageRun } from "./model.js";

declare const uPlot: typeof UPlot;

declare global {
  interface Window {
    /** For tests and the curious: the page data and the drawn uPlot instances by chart id. */
    tokenstorm?: { data: PageData; charts: Record<string, UPlot>; updates: number };
  }
}

interface LiveUpdate {
  finished: boolean;
  /** Null until the run has started. */
  run: PageRun | null;
}

const CHART_HEIGHT = 260;

interface Card {
  label: string;
  value(run: PageRun): number | null;
  format(value: number | null): string;
  /** Which direction is an improvement, for colouring a comparison. */
  better: "higher" | "lower" | "none";
}

const CARDS: Card[] = [
  { label: "Requests", value: (r) => r.summary.requests, format: (v) => formatNumber(v), better: "none" },
  { label: "Success rate", value: (r) => r.summary.success_rate, format: formatPercent, better: "higher" },
  { label: "Requests/s", value: (r) => r.summary.requests_per_sec, format: (v) => formatNumber(v, 2), better: "higher" },
  { label: "Tokens/s", value: (r) => r.summary.tokens_per_sec, format: (v) => formatNumber(v, 1), better: "higher" },
  { label: "Tokens", value: (r) => r.summary.tokens_total, format: (v) => formatNumber(v), better: "none" },
  { label: "TTFT p50", value: (r) => r.latency["ttft"]?.p50 ?? null, format: formatMs, better: "lower" },
  { label: "TTFT p95", value: (r) => r.latency["ttft"]?.p95 ?? null, format: formatMs, better: "lower" },
  { label: "ITL p50", value: (r) => r.latency["itl"]?.p50 ?? null, format: formatMs, better: "lower" },
  { label: "ITL p95", value: (r) => r.latency["itl"]?.p95 ?? null, format: formatMs, better: "lower" },
  { label: "E2E p95", value: (r) => r.latency["e2e"]?.p95 ?? null, format: formatMs, better: "lower" },
  { label: "Failed", value: (r) => r.summary.failed, format: (v) => formatNumber(v), better: "lower" },
  { label: "Duration", value: (r) => r.summary.duration_s, format: (v) => (v === null ? "–" : `${formatNumber(v, 1)} s`), better: "none" },
];

function cardElement(card: Card, runs: PageRun[]): HTMLElement {
  const values = runs.map((run) => card.value(run));
  if (runs.length === 1) return el("div", { class: "card" }, el("div", { class: "label" }, card.label), el("div", { class: "value" }, card.format(values[0]!)));
  const [base, next] = values as [number | null, number | null];
  let verdict = "";
  if (card.better !== "none" && base !== null && next !== null && base !== next) {
    verdict = (next > base) === (card.better === "higher") ? " better" : " worse";
  }
  return el(
    "div",
    { class: `card${verdict}` },
    el("div", { class: "label" }, card.label),
    el("div", { class: "value" }, card.format(next)),
    el("div", { class: "base" }, `${runs[0]!.label}: ${card.format(base)} ${formatChange(base, next)}`),
  );
}

function thresholdsElement(runs: PageRun[]): HTMLElement | null {
  const rows = runs.flatMap((run) =>
    run.thresholds.map((t) => [
      ...(runs.length > 1 ? [run.label] : []),
      t.expression,
      t.actual === null ? "no data" : formatNumber(t.actual, 3),
      el("span", { class: t.ok ? "pass" : "fail" }, t.ok ? "PASS" : "FAIL"),
    ]),
  );
  if (rows.length === 0) return null;
  return table([...(runs.length > 1 ? ["run"] : []), "threshold", "actual", "result"], rows, "thresholds");
}

const LATENCY_COLUMNS = ["count", "min", "mean", "p50", "p90", "p95", "p99", "p999", "max"] as const;

function latencyTable(run: PageRun): HTMLElement {
  const rows = Object.entries(run.latency).map(([metric, s]) => [
    metric,
    ...LATENCY_COLUMNS.map((column) => (column === "count" ? formatNumber(s?.count) : formatMs(s?.[column]))),
  ]);
  return table(["metric", ...LATENCY_COLUMNS.map((c) => (c === "p999" ? "p99.9" : c))], rows);
}

/** One row per request type, or per turn of a conversation: the same figures. */
function breakdownTable(breakdown: PageRun["by_type"], label: string): HTMLElement {
  const rows = Object.entries(breakdown).map(([type, b]) => [
    type,
    formatNumber(b.summary.requests),
    formatPercent(b.summary.success_rate),
    formatNumber(b.summary.requests_per_sec, 2),
    formatNumber(b.summary.tokens_per_sec, 1),
    formatMs(b.latency["ttft"]?.p50),
    formatMs(b.latency["ttft"]?.p95),
    formatMs(b.latency["itl"]?.p50),
    formatMs(b.latency["e2e"]?.p95),
  ]);
  return table([label, "requests", "success", "req/s", "tokens/s", "ttft p50", "ttft p95", "itl p50", "e2e p95"], rows);
}

function errorsTable(run: PageRun): HTMLElement {
  const entries = Object.entries(run.errors).filter(([, count]) => count > 0);
  if (entries.length === 0) return el("p", { class: "muted" }, "no errors");
  return table(["error class", "count"], entries.sort((a, b) => b[1] - a[1]).map(([cls, count]) => [cls, formatNumber(count)]));
}

function tablesFor(runs: PageRun[]): HTMLElement[] {
  return runs.map((run) =>
    el(
      "section",
      { class: "run-tables" },
      runs.length > 1 ? el("h2", {}, run.label) : null,
      el("h3", {}, "Latency"),
      latencyTable(run),
      el("h3", {}, "By request type"),
      breakdownTable(run.by_type, "request type"),
      // Conversations: TTFT per turn shows the prefix cache warming as the conversation grows.
      run.by_turn && Object.keys(run.by_turn).length > 1 ? el("h3", {}, "By turn") : null,
      run.by_turn && Object.keys(run.by_turn).length > 1 ? breakdownTable(run.by_turn, "turn") : null,
      el("h3", {}, "Errors by class"),
      errorsTable(run),
    ),
  );
}

function factsLine(runs: PageRun[]): string {
  return runs
    .map((run) => {
      const facts = Object.entries(run.facts).map(([k, v]) => `${k} ${v}`).join(" · ");
      return `${runs.length > 1 ? `${run.label}: ` : ""}${run.started_at ? `${run.started_at} · ` : ""}${facts}`;
    })
    .join("\n");
}

class PageView {
  private readonly charts = new Map<string, { plot: UPlot; seriesCount: number }>();
  updates = 0;

  constructor(private readonly data: PageData) {}

  private byId(id: string): HTMLElement {
    return document.getElementById(id)!;
  }

  render(): void {
    window.tokenstorm = { data: this.data, charts: {}, updates: this.updates };
    if (this.data.runs.length === 0) {
      this.byId("facts").textContent = "waiting for the run to start…";
      return;
    }
    this.byId("facts").textContent = factsLine(this.data.runs);
    this.byId("cards").replaceChildren(...CARDS.map((card) => cardElement(card, this.data.runs)));
    const thresholds = thresholdsElement(this.data.runs);
    this.byId("thresholds").replaceChildren(...(thresholds ? [el("h2", {}, "Thresholds"), thresholds] : []));
    this.byId("tables").replaceChildren(...tablesFor(this.data.runs));
    for (const spec of chartSpecs(this.data.runs)) this.drawChart(spec);
    window.tokenstorm = { data: this.data, charts: Object.fromEntries([...this.charts].map(([id, c]) => [id, c.plot])), updates: this.updates };
  }

  private drawChart(spec: ChartSpec): void {
    const existing = this.charts.get(spec.id);
    if (existing && existing.seriesCount === spec.data.length) {
      existing.plot.setData(spec.data);
      return;
    }
    existing?.plot.destroy();
    let holder = document.querySelector<HTMLElement>(`[data-chart="${spec.id}"] .plot`);
    if (!holder) {
      const section = el("section", { class: "chart", "data-chart": spec.id }, el("h2", {}, spec.title), el("p", { class: "note" }, spec.note), el("div", { class: "plot" }));
      this.byId("charts").append(section);
      holder = section.querySelector<HTMLElement>(".plot")!;
    }
    const plot = new uPlot({ ...spec.options, width: Math.max(320, holder.clientWidth), height: CHART_HEIGHT }, spec.data, holder);
    this.charts.set(spec.id, { plot, seriesCount: spec.data.length });
  }

  resize(): void {
    for (const { plot } of this.charts.values()) {
      const holder = plot.root.parentElement;
      if (holder) plot.setSize({ width: Math.max(320, holder.clientWidth), height: CHART_HEIGHT });
    }
  }

  /** Fold a live update in: new timeline points are appended, everything else replaced. */
  applyLive(update: LiveUpdate): void {
    if (!update.run) return;
    const current = this.data.runs[0];
    const timeline = current ? [...current.timeline, ...update.run.timeline] : update.run.timeline;
    this.data.runs = [{ ...update.run, timeline }];
    this.updates++;
    this.render();
  }

  get timelineLength(): number {
    return this.data.runs[0]?.timeline.length ?? 0;
  }
}

function setStatus(text: string, className: string): void {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = text;
  status.className = className;
}

/** Poll the run each interval until it says it finished (or stops answering). */
function pollLive(view: PageView, live: NonNullable<PageData["live"]>): void {
  let failures = 0;
  const poll = async (): Promise<void> => {
    try {
      const response = await fetch(`${live.dataPath}?from=${view.timelineLength}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const update = (await response.json()) as LiveUpdate;
      failures = 0;
      view.applyLive(update);
      if (update.finished) {
        setStatus("run finished", "finished");
        return;
      }
      setStatus("live · updating every second", "live");
    } catch {
      failures++;
      if (failures >= 3) {
        setStatus("the run is no longer answering (finished or stopped)", "finished");
        return;
      }
    }
    setTimeout(() => void poll(), live.intervalMs);
  };
  void poll();
}

export function startPage(): void {
  const data = JSON.parse(document.getElementById("tokenstorm-data")!.textContent!) as PageData;
  const view = new PageView(data);
  view.render();
  window.addEventListener("resize", () => view.resize());
  if (data.mode === "live" && data.live) pollLive(view, data.live);
}
