// Timelines of several processes merged second by second: each process's points placed on whole
// seconds of one clock, their counts and per-second histograms added, and each process's last
// `active` (and users) in a second added. One merger serves the live view of a distributed run
// (src/distributed/live.ts, seconds closed as they complete) and `merge` (src/distributed/merge.ts).
import { LatencyHistogram } from "./histogram.js";
import type { TimelineRecorder } from "./timeline.js";

/** The timeline's per-second histograms (TimelineRecorder's ttft, itl and e2e). */
export const TIMELINE_METRICS = ["ttft", "itl", "e2e"] as const;
export type TimelineMetric = (typeof TIMELINE_METRICS)[number];

/** What one process's timeline point adds to its second. */
export interface SecondPoint {
  started: number;
  completed: number;
  failed: number;
  tokens: number;
  active: number;
  active_users?: number | null;
}

interface MergedSecond {
  started: number;
  completed: number;
  failed: number;
  tokens: number;
  /** Each process's last point in the second: its requests in flight and users running. */
  last: Map<string, { active: number; users: number | null }>;
  histograms: Partial<Record<TimelineMetric, LatencyHistogram>>;
}

export class TimelineMerger {
  private readonly seconds = new Map<number, MergedSecond>();

  /** Adds `source`'s point to whole second `at`; `histograms` are the point's encoded per-second histograms. */
  add(at: number, source: string, point: SecondPoint, histograms?: Readonly<Record<string, string>> | null): void {
    let second = this.seconds.get(at);
    if (!second) {
      second = { started: 0, completed: 0, failed: 0, tokens: 0, last: new Map(), histograms: {} };
      this.seconds.set(at, second);
    }
    second.started += point.started;
    second.completed += point.completed;
    second.failed += point.failed;
    second.tokens += point.tokens;
    second.last.set(source, { active: point.active, users: point.active_users ?? null });
    for (const metric of TIMELINE_METRICS) {
      const encoded = histograms?.[metric];
      if (encoded) (second.histograms[metric] ??= new LatencyHistogram()).add(LatencyHistogram.decode(encoded));
    }
  }

  /** The seconds holding points, in order. */
  secondsHeld(): number[] {
    return [...this.seconds.keys()].sort((a, b) => a - b);
  }

  /** Writes second `at` (empty when nothing landed in it) as the timeline's next point, and forgets it. */
  closeInto(timeline: TimelineRecorder, at: number): void {
    const second = this.seconds.get(at);
    timeline.started = second?.started ?? 0;
    timeline.completed = second?.completed ?? 0;
    timeline.failed = second?.failed ?? 0;
    timeline.tokens = second?.tokens ?? 0;
    for (const metric of TIMELINE_METRICS) {
      const histogram = second?.histograms[metric];
      if (histogram) timeline[metric].add(histogram);
    }
    const last = [...(second?.last.values() ?? [])];
    const users = last.filter((l) => l.users !== null);
    const active = last.reduce((total, l) => total + l.active, 0);
    timeline.close(at, active, users.length > 0 ? users.reduce((total, l) => total + l.users!, 0) : null);
    this.seconds.delete(at);
  }
}
