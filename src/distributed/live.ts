// Live state of a distributed run. Each second every worker sends its progress snapshot, that
// second's histograms and its running totals (cumulative counters and HDR histograms of the whole
// segment so far); its report carries its final totals. The controller merges them:
// - the progress line: the latest snapshots added, the last second's percentiles from the segments'
//   per-second histograms merged (not averaged);
// - a Collector standing for the whole run, which the live outputs (--prometheus-port, --web) read as
//   they read a single process's: counters are the sums of each segment's latest totals, histograms
//   the segments' cumulative histograms added bucket by bucket, and the timeline the segments'
//   seconds merged as `tokenstorm merge` merges them.
// Totals are cumulative, so a message read twice changes nothing; a segment that stops sending (its
// worker died) keeps its last totals, so no counter ever goes back.
import { nowMs } from "../clock.js";
import { Collector, type RunMetricsView } from "../metrics/collector.js";
import { LatencyHistogram } from "../metrics/histogram.js";
import { MetricSet } from "../metrics/metric-set.js";
import { LATENCY_METRIC_NAMES, type LatencyMetricName, type OutcomeMetricName } from "../metrics/registry.js";
import type { ErrorClassName } from "../errors.js";
import type { LiveSnapshot, Output } from "../report/output.js";
import { buildReport } from "../report/build.js";
import type { Report, TimelinePoint } from "../report/types.js";
import type { WorkerMessage } from "./protocol.js";
import { formatSegment } from "./segment.js";
import { TimelineMerger } from "../metrics/timeline-merge.js";

const SUMMED = ["active", "started", "completed", "failed", "tokens", "requests_per_sec", "tokens_per_sec"] as const;
/** Per request type only the metrics the live page's by-type table shows travel. */
const TYPE_METRICS: readonly LatencyMetricName[] = ["ttft", "itl", "e2e"];
const KNOWN_LATENCY: ReadonlySet<string> = new Set(LATENCY_METRIC_NAMES);
/** A merged second waits this long past its end for a lagging segment's point before it is shown. */
const SECOND_GRACE_S = 1.5;

/** Exact counts of one slice of a segment (the whole segment, or one request type). */
export interface SetCounts {
  requests: number;
  successful: number;
  failed: number;
  cancelled: number;
  dropped: number;
  tokens: number;
  tokens_lost: number;
  /** Absent from workers of an older version. */
  reasoning_tokens?: number;
  tool_calls?: number;
  good: number;
  usage_counted: number;
  chunk_counted: number;
  tokenizer_counted?: number;
}

export interface SetTotals {
  counts: SetCounts;
  outcomes: Record<string, { attempts: number; succeeded: number }>;
  /** Cumulative encoded HDR histograms of the metrics with samples. */
  histograms: Record<string, string>;
}

/** A segment's running totals since its start (all cumulative). */
export interface SegmentTotals {
  /** Wall-clock time of the segment's run-clock zero, ms since the epoch: places its timeline points. */
  zero_unix_ms: number;
  started: number;
  active: number;
  active_users: number | null;
  /** Open model with --queue-when-full: arrivals waiting for a slot (absent for other runs). */
  waiting_arrivals?: number | null;
  /** The worker's own health (absent before its first second, and from older workers). */
  client?: { loop_delay_p99_ms: number; cpu_seconds: number; saturated: boolean } | null;
  tokens_received: number;
  cycles: number;
  connections_opened: number;
  connections_failed: number;
  errors: Record<string, number>;
  overall: SetTotals;
  by_type: Record<string, SetTotals>;
  /** Multi-turn runs: per turn number, and the conversations begun and completed (absent otherwise, and from older workers). */
  by_turn?: Record<string, SetTotals>;
  conversations?: { started: number; completed: number };
  /** The second the segment just closed and its index in the segment's timeline; null in final totals. */
  point: { index: number; at: TimelinePoint } | null;
}

/** The wire messages that carry totals (protocol.ts's tick and report, plus `totals`; older workers omit it). */
export type TickMessage = Extract<WorkerMessage, { kind: "tick" }> & { totals?: SegmentTotals };
export type ReportMessage = Extract<WorkerMessage, { kind: "report" }> & { totals?: SegmentTotals };

/** Worker side: a collector's totals, re-encoding only the histograms that grew since the last time. */
export class TotalsEncoder {
  private readonly encoded = new WeakMap<LatencyHistogram, { count: number; text: string }>();

  constructor(private readonly collector: RunMetricsView) {}

  private encode(histogram: LatencyHistogram): string {
    const cached = this.encoded.get(histogram);
    if (cached && cached.count === histogram.count) return cached.text;
    const text = histogram.encode();
    this.encoded.set(histogram, { count: histogram.count, text });
    return text;
  }

  private setTotals(set: MetricSet, metrics: readonly LatencyMetricName[]): SetTotals {
    const histograms: Record<string, string> = {};
    for (const name of metrics) if (set.latency[name].count > 0) histograms[name] = this.encode(set.latency[name]);
    return {
      counts: {
        requests: set.requests,
        successful: set.successful,
        failed: set.failed,
        cancelled: set.cancelled,
        dropped: set.dropped,
        tokens: set.tokens,
        tokens_lost: set.tokensLost,
        reasoning_tokens: set.reasoningTokens,
        tool_calls: set.toolCalls,
        good: set.good,
        usage_counted: set.usageCounted,
        chunk_counted: set.chunkCounted,
        tokenizer_counted: set.tokenizerCounted,
      },
      outcomes: Object.fromEntries([...set.outcomes].map(([name, counts]) => [name, { ...counts }])),
      histograms,
    };
  }

  /** With `withPoint`, the timeline's last point goes along (a tick; the runner has just closed it). */
  totals(withPoint: boolean): SegmentTotals {
    const c = this.collector;
    const points = c.timeline.points;
    return {
      zero_unix_ms: Math.round(Date.now() - (nowMs() - c.startedAt)),
      started: c.started,
      active: c.active,
      active_users: c.activeUsers,
      waiting_arrivals: c.waitingArrivals,
      client: c.clientHealth && { loop_delay_p99_ms: c.clientHealth.loopDelayP99Ms, cpu_seconds: c.clientHealth.cpuSeconds, saturated: c.clientHealth.saturated },
      tokens_received: c.tokensReceived,
      cycles: c.cycles,
      connections_opened: c.connectionsOpened,
      connections_failed: c.connectionsFailed,
      errors: Object.fromEntries(c.errors),
      overall: this.setTotals(c.overall, LATENCY_METRIC_NAMES),
      by_type: Object.fromEntries([...c.byType].map(([type, set]) => [type, this.setTotals(set, TYPE_METRICS)])),
      ...(c.byTurn.size > 0
        ? {
            by_turn: Object.fromEntries([...c.byTurn].map(([turn, set]) => [turn, this.setTotals(set, TYPE_METRICS)])),
            conversations: { started: c.conversationsStarted, completed: c.conversationsCompleted },
          }
        : {}),
      point: withPoint && points.length > 0 ? { index: points.length - 1, at: points.at(-1)! } : null,
    };
  }
}

function percentile(h: LatencyHistogram, p: number): number | null {
  return h.count === 0 ? null : Math.round(h.percentileMs(p) * 1000) / 1000;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

/** Overwrite a metric set with the sum of the segments' totals: counts added, histograms merged. */
function fillSet(set: MetricSet, parts: readonly SetTotals[]): void {
  const counts = parts.map((p) => p.counts);
  set.requests = sum(counts, (c) => c.requests);
  set.successful = sum(counts, (c) => c.successful);
  set.failed = sum(counts, (c) => c.failed);
  set.cancelled = sum(counts, (c) => c.cancelled);
  set.dropped = sum(counts, (c) => c.dropped);
  set.tokens = sum(counts, (c) => c.tokens);
  set.tokensLost = sum(counts, (c) => c.tokens_lost);
  set.reasoningTokens = sum(counts, (c) => c.reasoning_tokens ?? 0);
  set.toolCalls = sum(counts, (c) => c.tool_calls ?? 0);
  set.good = sum(counts, (c) => c.good);
  set.usageCounted = sum(counts, (c) => c.usage_counted);
  set.chunkCounted = sum(counts, (c) => c.chunk_counted);
  set.tokenizerCounted = sum(counts, (c) => c.tokenizer_counted ?? 0);
  set.outcomes.clear();
  for (const part of parts) {
    for (const [name, counts] of Object.entries(part.outcomes)) set.addOutcome(name as OutcomeMetricName, counts.attempts, counts.succeeded);
  }
  for (const name of LATENCY_METRIC_NAMES) set.latency[name].reset();
  for (const part of parts) {
    for (const [metric, text] of Object.entries(part.histograms)) {
      if (KNOWN_LATENCY.has(metric)) set.latency[metric as LatencyMetricName].add(LatencyHistogram.decode(text));
    }
  }
}

/** Each slice (request type, turn) of the segments' totals into the merged collector's set of that name. */
function fillSlices(bySegment: ReadonlyArray<Record<string, SetTotals>>, setOf: (name: string) => MetricSet): void {
  const names = new Set(bySegment.flatMap((slices) => Object.keys(slices)));
  for (const name of names) fillSet(setOf(name), bySegment.flatMap((slices) => (slices[name] ? [slices[name]] : [])));
}

export class LiveMerger {
  private readonly latest = new Map<string, LiveSnapshot>();
  /** Per-second histograms received since the last merged snapshot, by metric. */
  private pending: Record<string, LatencyHistogram> = {};
  /** Wall-clock time the workers start at, ms since the epoch. */
  startAtUnixMs = Date.now();

  private readonly segments: string[];
  private readonly totals = new Map<string, SegmentTotals>();
  /** Segments that will send nothing more: reported, or lost. */
  private readonly ended = new Set<string>();
  private readonly lost = new Set<string>();
  /** The whole run as the live outputs see it, from the workers' start on. */
  private collector: Collector | null = null;
  private readonly seconds = new TimelineMerger();
  /** The first second of the merged timeline not shown yet. */
  private nextSecond = 1;
  /** By segment: the latest second its points reached, and the index of its last point. */
  private readonly reached = new Map<string, number>();
  private readonly lastPoint = new Map<string, number>();

  constructor(private readonly segmentCount: number) {
    this.segments = Array.from({ length: segmentCount }, (_, i) => formatSegment({ index: i + 1, count: segmentCount }));
  }

  add(segment: string, snapshot: LiveSnapshot, histograms: Record<string, string>, totals?: SegmentTotals): void {
    this.latest.set(segment, snapshot);
    for (const [metric, encoded] of Object.entries(histograms)) {
      (this.pending[metric] ??= new LatencyHistogram()).add(LatencyHistogram.decode(encoded));
    }
    if (!totals) return;
    this.totals.set(segment, totals);
    if (totals.point && this.collector && totals.point.index > (this.lastPoint.get(segment) ?? -1)) {
      this.lastPoint.set(segment, totals.point.index);
      this.placePoint(segment, totals, totals.point.at, histograms);
    }
  }

  /** The segment's report arrived (with its final totals from a current worker). */
  settle(segment: string, totals?: SegmentTotals): void {
    if (totals) this.totals.set(segment, totals);
    this.ended.add(segment);
  }

  /** The segment will never report: it keeps its last totals, but nothing of it is in flight any more. */
  lose(segment: string): void {
    this.ended.add(segment);
    this.lost.add(segment);
  }

  /** The merged view of the last second; a segment that stopped reporting keeps its last figures. */
  snapshot(): LiveSnapshot {
    const merged: LiveSnapshot = {
      elapsed_s: Math.max(0, Math.round((Date.now() - this.startAtUnixMs) / 100) / 10),
      active: 0,
      started: 0,
      completed: 0,
      failed: 0,
      tokens: 0,
      requests_per_sec: 0,
      tokens_per_sec: 0,
      ttft_p50: null,
      ttft_p95: null,
      itl_p50: null,
      e2e_p95: null,
      planned: null,
      errors: {},
    };
    let planned = 0;
    let plannedKnown = this.latest.size === this.segmentCount;
    for (const snapshot of this.latest.values()) {
      for (const key of SUMMED) merged[key] += snapshot[key];
      for (const [name, count] of Object.entries(snapshot.errors)) merged.errors[name] = (merged.errors[name] ?? 0) + count;
      if (snapshot.planned === null) plannedKnown = false;
      else planned += snapshot.planned;
    }
    if (plannedKnown) merged.planned = planned;
    const h = this.pending;
    if (h["ttft"]) Object.assign(merged, { ttft_p50: percentile(h["ttft"], 50), ttft_p95: percentile(h["ttft"], 95) });
    if (h["itl"]) merged.itl_p50 = percentile(h["itl"], 50);
    if (h["e2e"]) merged.e2e_p95 = percentile(h["e2e"], 95);
    this.pending = {};
    return merged;
  }

  /**
   * At the workers' start: hand the outputs that read a collector (the exporter, the web view) the
   * merged one, created now so that its clock starts with the run's.
   */
  begin(outputs: readonly Output[]): void {
    if (this.collector) return;
    // Kept even when no output reads it: it is the report when no segment can deliver one.
    this.collector = new Collector();
    for (const output of outputs) output.attach?.(this.collector);
  }

  /**
   * The report of the totals received, when no segment delivered its own (Redis went away with every
   * worker's report): what the controller saw up to then, marked interrupted.
   */
  partialReport(config: Record<string, unknown>): Report | null {
    if (this.totals.size === 0 || !this.collector) return null;
    this.refresh();
    const durationS = Math.max(0, (Date.now() - this.startAtUnixMs) / 1000);
    const startedAtIso = new Date(this.startAtUnixMs).toISOString();
    return buildReport({ collector: this.collector, config, durationS, interrupted: true, startedAtIso, finishedAtIso: new Date().toISOString(), startedAtUnixMs: this.startAtUnixMs });
  }

  /** Bring the merged collector up to the totals received (once a second, and at the end). */
  refresh(): void {
    const c = this.collector;
    if (!c) return;
    const all = [...this.totals.values()];
    const inFlight = [...this.totals].filter(([segment]) => !this.lost.has(segment)).map(([, totals]) => totals);
    c.started = sum(all, (t) => t.started);
    c.tokensReceived = sum(all, (t) => t.tokens_received);
    c.cycles = sum(all, (t) => t.cycles);
    c.connectionsOpened = sum(all, (t) => t.connections_opened);
    c.connectionsFailed = sum(all, (t) => t.connections_failed);
    c.active = sum(inFlight, (t) => t.active);
    const users = inFlight.filter((t) => t.active_users !== null);
    c.activeUsers = users.length > 0 ? sum(users, (t) => t.active_users!) : null;
    const queueing = inFlight.filter((t) => typeof t.waiting_arrivals === "number");
    c.waitingArrivals = queueing.length > 0 ? sum(queueing, (t) => t.waiting_arrivals!) : null;
    // The workers' health: CPU adds up over every worker, the loop delay is the worst of those still running, saturated is any.
    const watched = all.filter((t) => t.client);
    c.clientHealth =
      watched.length > 0
        ? {
            loopDelayP99Ms: Math.max(0, ...inFlight.map((t) => t.client?.loop_delay_p99_ms ?? 0)),
            cpuSeconds: sum(watched, (t) => t.client!.cpu_seconds),
            saturated: watched.some((t) => t.client!.saturated),
          }
        : null;
    c.errors.clear();
    for (const totals of all) {
      for (const [name, count] of Object.entries(totals.errors)) {
        const key = name as ErrorClassName;
        c.errors.set(key, (c.errors.get(key) ?? 0) + count);
      }
    }
    fillSet(c.overall, all.map((t) => t.overall));
    fillSlices(all.map((t) => t.by_type), (type) => c.typeSet(type));
    fillSlices(all.map((t) => t.by_turn ?? {}), (turn) => c.turnSet(turn));
    c.conversationsStarted = sum(all, (t) => t.conversations?.started ?? 0);
    c.conversationsCompleted = sum(all, (t) => t.conversations?.completed ?? 0);
    c.lastTickAt = nowMs();
    this.closeSeconds(c, (Date.now() - this.startAtUnixMs) / 1000);
  }

  /** A segment's point lands in the whole second nearest its end on the run's clock (a late one in the first open second). */
  private placePoint(segment: string, totals: SegmentTotals, point: TimelinePoint, histograms: Record<string, string>): void {
    const at = Math.max(1, Math.round(point.t_s + (totals.zero_unix_ms - this.startAtUnixMs) / 1000));
    this.reached.set(segment, Math.max(at, this.reached.get(segment) ?? 0));
    this.seconds.add(Math.max(at, this.nextSecond), segment, point, histograms);
  }

  /**
   * Show the seconds every running segment has sent its point for (or that are overdue): the page
   * appends timeline points and never revises them, so a second is closed once, in order.
   */
  private closeSeconds(c: Collector, elapsedS: number): void {
    const running = this.segments.filter((s) => !this.ended.has(s));
    for (;;) {
      const k = this.nextSecond;
      if (k > elapsedS) return;
      const complete = running.every((s) => (this.reached.get(s) ?? 0) >= k);
      if (!complete && elapsedS < k + SECOND_GRACE_S) return;
      this.seconds.closeInto(c.timeline, k);
      this.nextSecond++;
    }
  }
}
