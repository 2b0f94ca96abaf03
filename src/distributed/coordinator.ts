// The controller side of a distributed run, whatever the transport: collects the workers' messages,
// shows merged live progress each second and keeps the live outputs' collector (--prometheus-port,
// --web) up to date with the merged totals, tracks which segments are done or lost, and at the end
// merges the reports, evaluates the run's thresholds on the merged data and finishes the outputs.
import { redactedConfig, type RunConfig } from "../config/run-config.js";
import { loadModelFor } from "../engine/load-test.js";
import { ExitCode, RunError } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import type { Output } from "../report/output.js";
import { evaluateThresholds, parseThresholds, reportLatencyMetrics } from "../report/thresholds.js";
import type { EmulatorBlock, Report } from "../report/types.js";
import { LiveMerger, type ReportMessage, type TickMessage } from "./live.js";
import { mergeReports, type NamedReport } from "./merge.js";
import type { WorkerMessage } from "./protocol.js";
import { formatSegment } from "./segment.js";

export interface CoordinatorOptions {
  segmentCount: number;
  outputs: readonly Output[];
  thresholds: readonly string[];
  /** One line for the user (stderr; silent with --quiet). */
  log(line: string): void;
  /** A lost segment's lines, shown even with --quiet (default: stderr). */
  warn?(line: string): void;
}

/** The merged second is taken half a second after the workers close theirs, when their ticks are in. */
const TICK_OFFSET_MS = 500;

export interface CoordinatorOutcome {
  report: Report;
  exitCode: number;
}

export class Coordinator {
  private readonly live: LiveMerger;
  private readonly reports = new Map<string, NamedReport>();
  /** Segments that will not report, with why. */
  private readonly lost = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private settle: (() => void) | null = null;

  constructor(private readonly options: CoordinatorOptions) {
    this.live = new LiveMerger(options.segmentCount);
  }

  get segments(): string[] {
    const count = this.options.segmentCount;
    return Array.from({ length: count }, (_, i) => formatSegment({ index: i + 1, count }));
  }

  /** Segments neither reported nor lost yet. */
  get outstanding(): string[] {
    return this.segments.filter((s) => !this.reports.has(s) && !this.lost.has(s));
  }

  /** Resolves once every segment has reported or been declared lost. */
  allSettled(): Promise<void> {
    if (this.outstanding.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.settle = resolve));
  }

  /**
   * Live progress once a second, its clock starting when the workers do; at that start the outputs
   * that read a collector get the merged one.
   */
  startProgress(startAtUnixMs: number): void {
    this.live.startAtUnixMs = startAtUnixMs;
    const untilStart = Math.max(0, startAtUnixMs - Date.now());
    const tick = (): void => {
      this.live.refresh();
      const snapshot = this.live.snapshot();
      for (const output of this.options.outputs) output.onTick?.(snapshot);
    };
    this.timers.push(
      setTimeout(() => this.live.begin(this.options.outputs), untilStart),
      setTimeout(() => this.timers.push(setInterval(tick, 1000)), untilStart + TICK_OFFSET_MS),
    );
  }

  onMessage(message: WorkerMessage): void {
    switch (message.kind) {
      case "ready":
        this.names.set(message.segment, message.name);
        break;
      case "tick":
        this.live.add(message.segment, message.snapshot, message.histograms, (message as TickMessage).totals);
        break;
      case "report":
        this.live.settle(message.segment, (message as ReportMessage).totals);
        if (!this.lost.has(message.segment)) this.reports.set(message.segment, { name: this.label(message.segment), report: message.report });
        break;
      case "failed":
        this.markLost(message.segment, message.message);
        break;
      default:
        break;
    }
    this.checkSettled();
  }

  /** A segment that will never report (its worker died or failed). */
  markLost(segment: string, why: string): void {
    if (this.reports.has(segment) || this.lost.has(segment)) return;
    this.lost.set(segment, why);
    this.live.lose(segment);
    this.warn(`tokenstorm: ${this.label(segment)} missing: ${why}`);
    this.checkSettled();
  }

  private warn(line: string): void {
    if (this.options.warn) this.options.warn(line);
    else process.stderr.write(`${line}\n`);
  }

  /** "segment 2/3 (w2)", or "segment 2/3" before its worker said who it is. */
  private label(segment: string): string {
    const name = this.names.get(segment);
    return name === undefined ? `segment ${segment}` : `segment ${segment} (${name})`;
  }

  private checkSettled(): void {
    if (this.outstanding.length === 0 && this.settle) {
      this.settle();
      this.settle = null;
    }
  }

  /** No segment reported: the live totals received are the report, every segment named missing. */
  private liveOnlyReport(config: Record<string, unknown>): { report: Report; missing: string[]; warnings: string[] } {
    const report = this.live.partialReport(config);
    if (!report) throw new RunError(`no worker delivered a report (${[...this.lost.entries()].map(([s, why]) => `${s}: ${why}`).join("; ")})`);
    report.segments = { count: this.options.segmentCount, merged: [], missing: this.segments };
    return { report, missing: this.segments, warnings: ["no segment delivered its report: the figures are the last progress each worker sent"] };
  }

  /** Merge, gate and write; `config` is the whole run's, as the merged report shows it. */
  /** `emulator`: the target emulator's own figures for the whole run, read by the controller. */
  async finish(config: Record<string, unknown>, emulator: EmulatorBlock | null = null): Promise<CoordinatorOutcome> {
    for (const timer of this.timers) clearTimeout(timer);
    const named = this.segments.flatMap((s) => (this.reports.has(s) ? [this.reports.get(s)!] : []));
    const { report, missing, warnings } = named.length > 0 ? mergeReports(named, { config, segmentCount: this.options.segmentCount }) : this.liveOnlyReport(config);
    if (emulator) report.emulator = emulator;
    for (const warning of warnings) this.options.log(`tokenstorm: merge: ${warning}`);
    const thresholds = parseThresholds(this.options.thresholds, { latencyMetrics: reportLatencyMetrics(report) });
    report.thresholds = evaluateThresholds(thresholds, report);
    // The live figures end on every segment's final totals, as a single process's collector ends on
    // its report (a lost segment's last figures stay in: counters never go back).
    this.live.begin(this.options.outputs);
    this.live.refresh();
    await Promise.all(this.options.outputs.map((output) => output.finish(report)));
    for (const segment of missing) {
      this.warn(`tokenstorm: MISSING segment ${segment}: ${this.lost.get(segment) ?? "no report"} — the figures above leave it out`);
    }
    const exitCode =
      missing.length > 0 || report.summary.interrupted
        ? ExitCode.runFailed
        : report.thresholds.some((t) => !t.ok)
          ? ExitCode.thresholdFailed
          : ExitCode.ok;
    return { report, exitCode };
  }
}

/** The merged report's config: the whole run as this controller resolved it. */
export function wholeRunReportConfig(config: RunConfig, target: string, embedded: boolean): Record<string, unknown> {
  return { ...redactedConfig(config), target, embedded_emulator: embedded, load_model: loadModelFor(config, new Collector()).describe() };
}
