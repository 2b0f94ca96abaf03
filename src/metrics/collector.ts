// Collects every request of a run into histograms, counters and the timeline, turns finished traces
// into raw records for the outputs, and builds the final report. Nothing per sample is kept.
import { nowMs } from "../clock.js";
import { ErrorClass, type ErrorClassName } from "../errors.js";
import type { LatencyBlock, LiveSnapshot, RequestRecord, RunSummary, TimelinePoint, TypeBreakdown } from "../report/types.js";
import { ArrivalRecorder } from "./arrivals.js";
import { LatencyHistogram } from "./histogram.js";
import { MetricSet } from "./metric-set.js";
import { LATENCY_METRIC_NAMES, OUTCOME_METRIC_NAMES, type LatencyMetricName } from "./registry.js";
import type { ClientHealth } from "./self-watch.js";
import { TimelineRecorder } from "./timeline.js";
import { RequestTrace } from "./trace.js";

/** Per-request SLOs for goodput (vLLM style): a successful request counts as good when it meets all. */
export type GoodputSlos = Partial<Record<LatencyMetricName, number>>;

export interface CollectorOptions {
  goodput?: GoodputSlos;
  /** --tokenizer: count output tokens in the received text where the server reports no usage. */
  countTokens?: ((text: string) => number) | null;
}

/** A conversation's request (--turns): which conversation, which turn, and whether its reply is kept for the next. */
export interface TurnOf {
  id: string;
  turn: number;
  keepReply: boolean;
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * What outputs read of a run's metrics (k6's output shape: handed once, read when they sample): the
 * figures and the report blocks built from them, never a way to record or change them.
 */
export type RunMetricsView = Readonly<
  Pick<
    Collector,
    | "overall" | "byType" | "timeline" | "startedAt" | "lastTickAt" | "active" | "activeUsers" | "waitingArrivals" | "clientHealth" | "started"
    | "tokensReceived" | "cycles" | "connectionsOpened" | "connectionsFailed" | "summaryOf" | "byTypeBlock" | "encodedHistograms"
    | "byTurn" | "byTurnBlock" | "conversationsStarted" | "conversationsCompleted"
  >
> & { readonly errors: ReadonlyMap<ErrorClassName, number> };

/** The set of `name` in `sets`, created on first use. */
function setOf(sets: Map<string, MetricSet>, name: string): MetricSet {
  let set = sets.get(name);
  if (!set) {
    set = new MetricSet();
    sets.set(name, set);
  }
  return set;
}

export class Collector {
  readonly overall = new MetricSet();
  readonly byType = new Map<string, MetricSet>();
  /** Multi-turn runs (--turns): the requests of each turn number ("1", "2"...); empty otherwise. */
  readonly byTurn = new Map<string, MetricSet>();
  readonly errors = new Map<ErrorClassName, number>();
  readonly timeline = new TimelineRecorder();
  /** Open models only: the schedule as carried out. */
  readonly arrivals = new ArrivalRecorder();
  readonly startedAt = nowMs();
  lastTickAt = this.startedAt;
  connectionsOpened = 0;
  connectionsFailed = 0;
  /** Requests sent a second time because their kept-alive connection turned out closed by the server. */
  requestsRetried = 0;
  cycles = 0;
  /** Multi-turn runs: conversations whose first turn was sent, and those whose every turn succeeded. */
  conversationsStarted = 0;
  conversationsCompleted = 0;
  /** Tokens received so far, counted as they arrive (request totals are folded in at the end). */
  tokensReceived = 0;
  active = 0;
  /** Users running (staged model; it sets this as users start and stop); null for other models. */
  activeUsers: number | null = null;
  /** Open-model arrivals waiting for a concurrency slot now (--queue-when-full sets it); null for other runs. */
  waitingArrivals: number | null = null;
  /** The generator's own health (run sets it each second; a distributed run's merger, over its workers); null before the first second. */
  clientHealth: ClientHealth | null = null;
  started = 0;
  private nextId = 0;
  private lastSnapshot = { at: this.startedAt, completed: 0, tokens: 0 };
  private readonly goodput: GoodputSlos;
  private readonly countTokens: ((text: string) => number) | null;

  constructor(options: CollectorOptions = {}) {
    this.goodput = options.goodput ?? {};
    this.countTokens = options.countTokens ?? null;
  }

  /** The metric set of one request type, created on first use. */
  typeSet(type: string): MetricSet {
    return setOf(this.byType, type);
  }

  /** The metric set of one turn number of multi-turn conversations, created on first use. */
  turnSet(turn: number | string): MetricSet {
    return setOf(this.byTurn, String(turn));
  }

  /** The breakdown sets a trace's figures go to besides the whole run's: its type's, and its turn's. */
  private slicesOf(type: string, turn: number | null): MetricSet[] {
    return turn === null ? [this.typeSet(type)] : [this.typeSet(type), this.turnSet(turn)];
  }

  /** Open a trace for a request about to be sent. `intendedAt` defaults to now; `turn`: a conversation's request. */
  begin(type: string, client: number, cycle: number, intendedAt = nowMs(), turn?: TurnOf): RequestTrace {
    const slices = this.slicesOf(type, turn?.turn ?? null);
    const timeline = this.timeline;
    const sinks = {
      itl: [this.overall.latency.itl, ...slices.map((set) => set.latency.itl), timeline.itl],
      delivery: [this.overall.latency.delivery, ...slices.map((set) => set.latency.delivery)],
      onTokens: (count: number): void => {
        timeline.tokens += count;
        this.tokensReceived += count;
      },
    };
    this.active++;
    this.started++;
    timeline.started++;
    const trace = new RequestTrace(this.nextId++, type, client, cycle, intendedAt, sinks);
    if (this.countTokens !== null) trace.receivedText = "";
    if (turn) {
      trace.turn = turn.turn;
      trace.conversation = turn.id;
      if (turn.keepReply) {
        trace.replyText = "";
        trace.replyToolCalls = [];
      }
    }
    return trace;
  }

  /** A new connection: its TCP set-up, and its TLS handshake when the driver measured one apart. */
  recordConnect(ms: number, tlsMs?: number): void {
    this.connectionsOpened++;
    this.overall.latency.connect.recordMs(ms);
    if (tlsMs !== undefined) this.overall.latency.tls.recordMs(tlsMs);
  }

  /** An open-model arrival found the concurrency cap full and was not sent. */
  recordDropped(): void {
    this.overall.dropped++;
  }

  recordConnectFailure(): void {
    this.connectionsFailed++;
  }

  recordRetry(): void {
    this.requestsRetried++;
  }

  /** Close a trace: fold it into the metrics and return its raw record. */
  finish(trace: RequestTrace): RequestRecord {
    if (trace.endAt === 0) trace.endAt = nowMs();
    this.active--;
    const sets = [this.overall, ...this.slicesOf(trace.type, trace.turn)];
    const sent = trace.sentAt > 0;
    const queueMs = sent ? Math.max(0, trace.sentAt - trace.intendedAt) : null;
    const ttfbMs = trace.headersAt > 0 ? trace.headersAt - trace.sentAt : null;
    const ttftMs = trace.chunks > 0 ? trace.firstTokenAt - trace.sentAt : null;
    const ttfcMs = trace.firstAnswerAt > 0 ? trace.firstAnswerAt - trace.sentAt : null;
    const e2eMs = sent ? trace.endAt - trace.sentAt : null;
    // A request that never reached a connection (refused, connect timeout) still took this long to fail.
    const elapsedMs = trace.endAt - (trace.dispatchedAt || trace.intendedAt);
    const tpotMs =
      trace.chunks > 1 && ttftMs !== null ? (trace.lastTokenAt - trace.firstTokenAt) / (trace.chunks - 1) : null;
    const ok = trace.ok;
    if (this.countTokens !== null && trace.usageCompletionTokens === null && trace.receivedText !== null && trace.chunks > 0) {
      trace.textTokens = this.countTokens(trace.receivedText);
    }
    const tokens = trace.tokens;
    const lost = trace.tokensLost;

    let good = ok;
    if (good) {
      const observed: Partial<Record<LatencyMetricName, number | null>> = { ttft: ttftMs, ttfc: ttfcMs, tpot: tpotMs, e2e: e2eMs, ttfb: ttfbMs, queue: queueMs, itl: trace.meanGapMs };
      if (trace.measures !== null) for (const [name, ms] of trace.measures) observed[name] = ms;
      for (const [metric, limit] of Object.entries(this.goodput) as [LatencyMetricName, number][]) {
        const value = observed[metric];
        if (value === null || value === undefined || value > limit) {
          good = false;
          break;
        }
      }
    }

    const cancelled = trace.errorClass === ErrorClass.cancelled;
    for (const set of sets) {
      set.tokens += tokens;
      set.reasoningTokens += trace.reasoningTokens ?? 0;
      set.toolCalls += trace.toolCallCount ?? 0;
      if (cancelled) {
        set.cancelled++;
        continue;
      }
      set.requests++;
      if (ok) set.successful++;
      else set.failed++;
      if (good) set.good++;
      set.tokensLost += lost;
      const source = trace.tokensSource;
      if (source === "usage") set.usageCounted++;
      else if (source === "tokenizer") set.tokenizerCounted++;
      else set.chunkCounted++;
      if (queueMs !== null) set.latency.queue.recordMs(queueMs);
      if (ok) {
        if (ttfbMs !== null) set.latency.ttfb.recordMs(ttfbMs);
        if (ttftMs !== null) set.latency.ttft.recordMs(ttftMs);
        if (ttfcMs !== null) set.latency.ttfc.recordMs(ttfcMs);
        if (tpotMs !== null) set.latency.tpot.recordMs(tpotMs);
        if (e2eMs !== null) set.latency.e2e.recordMs(e2eMs);
        if (trace.measures !== null) for (const [name, ms] of trace.measures) set.latency[name].recordMs(ms);
      }
      if (trace.outcomes !== null) for (const [name, succeeded] of trace.outcomes) set.recordOutcome(name, succeeded);
    }
    if (ok) {
      this.timeline.completed++;
      if (ttftMs !== null) this.timeline.ttft.recordMs(ttftMs);
      if (e2eMs !== null) this.timeline.e2e.recordMs(e2eMs);
    } else if (!cancelled) {
      this.timeline.failed++;
      const cls = trace.errorClass!;
      this.errors.set(cls, (this.errors.get(cls) ?? 0) + 1);
    }

    const start = trace.sentAt || trace.dispatchedAt || trace.intendedAt;
    return {
      id: trace.id,
      type: trace.type,
      client: trace.client,
      cycle: trace.cycle,
      start_ms: round(start - this.startedAt),
      ok,
      status: trace.status,
      error_class: trace.errorClass,
      error: trace.errorMessage,
      queue_ms: queueMs === null ? null : round(queueMs),
      ttfb_ms: ttfbMs === null ? null : round(ttfbMs),
      ttft_ms: ttftMs === null ? null : round(ttftMs),
      ttfc_ms: ttfcMs === null ? null : round(ttfcMs),
      e2e_ms: e2eMs === null ? null : round(e2eMs),
      elapsed_ms: round(elapsedMs),
      tpot_ms: tpotMs === null ? null : round(tpotMs),
      itl_mean_ms: trace.meanGapMs === null ? null : round(trace.meanGapMs),
      tokens,
      chunks: trace.chunks,
      tokens_source: trace.tokensSource,
      tokens_expected: trace.expectedTokens,
      tokens_lost: lost,
      prompt_tokens: trace.usagePromptTokens,
      reasoning_tokens: trace.reasoningTokens,
      tool_call_count: trace.toolCallCount,
      ...(trace.turn !== null ? { turn: trace.turn, conversation: trace.conversation! } : {}),
      ...(trace.measures !== null ? { measures: Object.fromEntries([...trace.measures].map(([name, ms]) => [name, round(ms)])) } : {}),
    };
  }

  /** Close the current timeline second. */
  tick(): TimelinePoint {
    const now = nowMs();
    this.lastTickAt = now;
    const tS = Math.round((now - this.startedAt) / 100) / 10;
    return this.timeline.close(tS, this.active, this.activeUsers);
  }

  snapshot(planned: number | null, lastPoint: TimelinePoint | null): LiveSnapshot {
    const now = nowMs();
    const overall = this.overall;
    const elapsed = Math.max(1e-3, (now - this.lastSnapshot.at) / 1000);
    const completed = overall.requests;
    const tokens = this.tokensReceived;
    const snapshot: LiveSnapshot = {
      elapsed_s: round((now - this.startedAt) / 1000, 1),
      active: this.active,
      started: this.started,
      completed: overall.successful,
      failed: overall.failed,
      tokens,
      requests_per_sec: round((completed - this.lastSnapshot.completed) / elapsed, 2),
      tokens_per_sec: round((tokens - this.lastSnapshot.tokens) / elapsed, 1),
      ttft_p50: lastPoint?.ttft_p50 ?? null,
      ttft_p95: lastPoint?.ttft_p95 ?? null,
      itl_p50: lastPoint?.itl_p50 ?? null,
      e2e_p95: lastPoint?.e2e_p95 ?? null,
      planned,
      active_users: this.activeUsers,
      ...(this.waitingArrivals !== null ? { waiting_arrivals: this.waitingArrivals } : {}),
      errors: Object.fromEntries(this.errors),
    };
    this.lastSnapshot = { at: now, completed, tokens };
    return snapshot;
  }

  summaryOf(set: MetricSet, durationS: number, interrupted: boolean): RunSummary {
    const d = durationS > 0 ? durationS : 1e-9;
    const kinds = [
      ["usage", set.usageCounted],
      ["tokenizer", set.tokenizerCounted],
      ["chunks", set.chunkCounted],
    ] as const;
    const used = kinds.filter(([, count]) => count > 0);
    const source = used.length > 1 ? "mixed" : used.length === 1 ? used[0]![0] : "none";
    return {
      requests: set.requests,
      successful: set.successful,
      failed: set.failed,
      success_rate: set.requests > 0 ? round(set.successful / set.requests, 4) : 0,
      error_rate: set.requests > 0 ? round(set.failed / set.requests, 4) : 0,
      duration_s: round(durationS, 3),
      requests_per_sec: round(set.requests / d, 3),
      tokens_total: set.tokens,
      tokens_per_sec: round(set.tokens / d, 3),
      cycles_per_sec: round((set === this.overall ? this.cycles : set.requests) / d, 3),
      tokens_lost: set.tokensLost,
      goodput_per_sec: round(set.good / d, 3),
      tokens_source: source,
      interrupted,
      cancelled: set.cancelled,
      dropped: set.dropped,
      ...(set.reasoningTokens > 0 ? { reasoning_tokens_total: set.reasoningTokens } : {}),
      ...(set.toolCalls > 0 ? { tool_calls_total: set.toolCalls } : {}),
      ...Collector.outcomeRates(set),
    };
  }

  /** Outcome rates (voice: tool_call_success_rate...) with their counts, only for outcomes that occurred. */
  private static outcomeRates(set: MetricSet): Partial<RunSummary> {
    if (set.outcomes.size === 0) return {};
    const rates: Partial<RunSummary> = { outcomes: {} };
    for (const name of OUTCOME_METRIC_NAMES) {
      const counts = set.outcomes.get(name);
      if (!counts) continue;
      rates[name] = round(counts.succeeded / counts.attempts, 4);
      rates.outcomes![name] = { ...counts };
    }
    return rates;
  }

  static latencyBlock(set: MetricSet): LatencyBlock {
    const block: LatencyBlock = {};
    for (const name of LATENCY_METRIC_NAMES) {
      const h = set.latency[name];
      if (h.count > 0) block[name] = h.summary();
    }
    return block;
  }

  byTypeBlock(durationS: number, interrupted: boolean): Record<string, TypeBreakdown> {
    return this.breakdown(this.byType, durationS, interrupted);
  }

  /** Multi-turn runs: the same figures per turn number, in turn order; null when the run had no conversations. */
  byTurnBlock(durationS: number, interrupted: boolean): Record<string, TypeBreakdown> | null {
    if (this.byTurn.size === 0) return null;
    return this.breakdown(this.byTurn, durationS, interrupted);
  }

  private breakdown(sets: ReadonlyMap<string, MetricSet>, durationS: number, interrupted: boolean): Record<string, TypeBreakdown> {
    const out: Record<string, TypeBreakdown> = {};
    for (const [name, set] of sets) {
      out[name] = { summary: this.summaryOf(set, durationS, interrupted), latency: Collector.latencyBlock(set) };
    }
    return out;
  }

  encodedHistograms(set: MetricSet = this.overall): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of LATENCY_METRIC_NAMES) {
      const h: LatencyHistogram = set.latency[name];
      if (h.count > 0) out[name] = h.encode();
    }
    return out;
  }
}
