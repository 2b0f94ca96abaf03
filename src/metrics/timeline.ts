// Per-second timeline: counters for the current second plus small histograms that are summarised
// and reset at each second boundary. What stays is one point per second for the report (about 270
// bytes of heap each, 1 MB an hour); the per-second encoded histograms of segment runs (0.4 to 4 KB a
// second, depending on how widely latencies spread) go to a temporary file as they accumulate and
// come back once, for the report, so a long run's memory stays flat.
import { randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatencyHistogram } from "./histogram.js";
import type { TimelinePoint } from "../report/types.js";

/** One second's histograms: metric name to encoded histogram (non-empty ones only). */
export type EncodedSecond = Record<string, string>;

/** Seconds of encoded histograms kept in memory before they are written out together. */
export const SPILL_BATCH = 60;

function percentileOrNull(h: LatencyHistogram, p: number): number | null {
  return h.count === 0 ? null : Math.round(h.percentileMs(p) * 1000) / 1000;
}

/** An append-only NDJSON file of encoded seconds in the temporary folder, removed once read back. */
class SecondsFile {
  private readonly path = join(tmpdir(), `tokenstorm-seconds-${process.pid}-${randomUUID()}.ndjson`);
  private readonly fd: number;
  /** Bytes of whole batches on disk: a batch whose write failed halfway is not read back. */
  private committed = 0;
  // A run that dies before its report is built leaves nothing behind in the temporary folder.
  private readonly removeOnExit = (): void => {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  };

  constructor() {
    this.fd = openSync(this.path, "wx");
    process.once("exit", this.removeOnExit);
  }

  /** Throws when the write fails; the caller then keeps the seconds in memory. */
  append(seconds: readonly EncodedSecond[]): void {
    const bytes = Buffer.from(`${seconds.map((second) => JSON.stringify(second)).join("\n")}\n`);
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written, this.committed + written);
    this.committed += bytes.length;
  }

  /** Every second written, in order; the file is gone afterwards. */
  readAndRemove(): EncodedSecond[] {
    closeSync(this.fd);
    // Read as bytes and decoded a line at a time, so no single string the size of the file is built.
    const bytes = readFileSync(this.path).subarray(0, this.committed);
    this.removeOnExit();
    process.off("exit", this.removeOnExit);
    const seconds: EncodedSecond[] = [];
    for (let start = 0; start < bytes.length; ) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      if (end > start) seconds.push(JSON.parse(bytes.toString("utf8", start, end)) as EncodedSecond);
      start = end + 1;
    }
    return seconds;
  }
}

export class TimelineRecorder {
  readonly points: TimelinePoint[] = [];
  started = 0;
  completed = 0;
  failed = 0;
  tokens = 0;
  readonly ttft = new LatencyHistogram();
  readonly itl = new LatencyHistogram();
  readonly e2e = new LatencyHistogram();
  /** Keep each second's histograms, encoded (segment runs), so merged timelines get exact percentiles. */
  keepHistograms = false;
  /**
   * When keepHistograms is on, one entry per point once restoreHistograms() has run (the report's
   * builder calls it). While the run goes on it holds only the latest seconds (the last entry is
   * always the second just closed); older ones wait in a temporary file.
   */
  readonly histograms: EncodedSecond[] = [];
  private spill: SecondsFile | null = null;
  /** Set when the temporary file could not be opened or written: everything stays in memory. */
  private spillFailed = false;

  /** Close the current second, labelled by its end offset from the run start. */
  close(tS: number, active: number, activeUsers: number | null = null): TimelinePoint {
    const point: TimelinePoint = {
      t_s: tS,
      active,
      active_users: activeUsers,
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      tokens: this.tokens,
      ttft_p50: percentileOrNull(this.ttft, 50),
      ttft_p95: percentileOrNull(this.ttft, 95),
      itl_p50: percentileOrNull(this.itl, 50),
      itl_p95: percentileOrNull(this.itl, 95),
      e2e_p50: percentileOrNull(this.e2e, 50),
      e2e_p95: percentileOrNull(this.e2e, 95),
    };
    this.points.push(point);
    if (this.keepHistograms) {
      this.histograms.push(this.encodeSecond());
      if (this.histograms.length > SPILL_BATCH) this.spillOlder();
    }
    this.started = this.completed = this.failed = this.tokens = 0;
    this.ttft.reset();
    this.itl.reset();
    this.e2e.reset();
    return point;
  }

  /** Bring every spilled second back, so `histograms` has one entry per point again. */
  restoreHistograms(): void {
    if (this.spill === null) return;
    const spilled = this.spill.readAndRemove();
    this.spill = null;
    const recent = this.histograms.splice(0);
    // One push per entry: spreading tens of thousands of arguments into a call could overflow the stack.
    for (const second of spilled) this.histograms.push(second);
    for (const second of recent) this.histograms.push(second);
  }

  /** Write all but the newest second out; on any file error keep them, and stop trying. */
  private spillOlder(): void {
    if (this.spillFailed) return;
    const older = this.histograms.length - 1;
    try {
      this.spill ??= new SecondsFile();
      this.spill.append(this.histograms.slice(0, older));
    } catch {
      this.spillFailed = true;
      return;
    }
    this.histograms.splice(0, older);
  }

  private encodeSecond(): EncodedSecond {
    const encoded: EncodedSecond = {};
    for (const [name, h] of [["ttft", this.ttft], ["itl", this.itl], ["e2e", this.e2e]] as const) if (h.count > 0) encoded[name] = h.encode();
    return encoded;
  }
}
