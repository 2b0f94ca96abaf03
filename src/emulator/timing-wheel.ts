// The one scheduler behind every emulated stream. Thousands of streams each keep a single pending
// task in a binary min-heap ordered by absolute due time, and one driver wakes for the earliest:
// a coarse setTimeout while it is far away, then setImmediate polling for the last stretch, because
// Node timers alone fire up to a millisecond late and that error would show up as false ITL.
import { nowMs } from "../clock.js";
import { LatencyHistogram } from "../metrics/histogram.js";

/** Closer than this to the next due time, the driver polls instead of arming a timer. */
const POLL_WINDOW_MS = 2;
/** Longest run of firings before the wheel lets pending I/O in. */
const PASS_SLICE_MS = 0.5;
/** A timer is armed this much before the due time so that polling, not the timer, decides the firing. */
const TIMER_LEAD_MS = 1.5;

export type WheelCallback = (firedAtMs: number) => void;

/** One pending firing; hand it back to `cancel` to drop it. */
export class WheelTask {
  /** Position in the heap; -1 once fired, cancelled or never scheduled. */
  heapIndex = -1;

  constructor(
    readonly dueMs: number,
    readonly seq: number,
    readonly callback: WheelCallback,
  ) {}

  get pending(): boolean {
    return this.heapIndex >= 0;
  }
}

function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export class TimingWheel {
  /** Fire time minus due time of every firing. */
  readonly lateness = new LatencyHistogram();
  private readonly heap: WheelTask[] = [];
  private nextSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerWakeMs = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  private firing = false;
  private stopped = false;

  /** `onError` receives exceptions thrown by callbacks, so one broken stream cannot stall the rest. */
  constructor(private readonly onError: (err: unknown) => void = rethrowLater) {}

  get size(): number {
    return this.heap.length;
  }

  /** Run `callback` at `dueMs` (monotonic, from nowMs()). Tasks due at the same time fire in schedule order. */
  schedule(dueMs: number, callback: WheelCallback): WheelTask {
    const task = new WheelTask(dueMs, this.nextSeq++, callback);
    if (this.stopped) return task;
    this.heap.push(task);
    task.heapIndex = this.heap.length - 1;
    this.siftUp(task.heapIndex);
    // During a firing pass the driver re-arms once the pass is over.
    if (task.heapIndex === 0 && !this.firing) this.arm();
    return task;
  }

  /** Drop a pending task; returns false when it already fired or was cancelled. */
  cancel(task: WheelTask): boolean {
    const index = task.heapIndex;
    if (index < 0) return false;
    this.removeAt(index);
    // An early wake-up for a cancelled head finds nothing due and simply re-arms.
    if (this.heap.length === 0) this.disarm();
    return true;
  }

  /** Drop every task and stop the driver for good; later schedules never fire. */
  stop(): void {
    this.stopped = true;
    this.disarm();
    for (const task of this.heap) task.heapIndex = -1;
    this.heap.length = 0;
  }

  private arm(): void {
    if (this.stopped || this.heap.length === 0) {
      this.disarm();
      return;
    }
    if (this.immediate !== undefined) return;
    const dueMs = this.heap[0]!.dueMs;
    const deltaMs = dueMs - nowMs();
    if (deltaMs <= POLL_WINDOW_MS) {
      this.clearTimer();
      this.immediate = setImmediate(this.onImmediate);
      return;
    }
    const wakeMs = dueMs - TIMER_LEAD_MS;
    if (this.timer !== undefined && this.timerWakeMs <= wakeMs) return;
    this.clearTimer();
    this.timerWakeMs = wakeMs;
    this.timer = setTimeout(this.onTimer, deltaMs - TIMER_LEAD_MS);
  }

  private disarm(): void {
    this.clearTimer();
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerWakeMs = Infinity;
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerWakeMs = Infinity;
    this.fireDue();
    this.arm();
  };

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.fireDue();
    this.arm();
  };

  /**
   * Fire, in due order, every task due when the pass starts. Tasks scheduled by callbacks during the
   * pass wait for the next one, so a zero-delay stream cannot monopolise the event loop. A pass that
   * runs longer than PASS_SLICE_MS yields to the event loop and goes on right after the next poll:
   * requests that arrive during a burst of writes (every stream of a wave ending at once) are then
   * stamped on arrival, not after the burst, and their time to first token stays exact.
   */
  private fireDue(): void {
    const passStartMs = nowMs();
    const sliceEndMs = passStartMs + PASS_SLICE_MS;
    const seqLimit = this.nextSeq;
    this.firing = true;
    try {
      while (this.heap.length > 0) {
        const head = this.heap[0]!;
        if (head.dueMs > passStartMs || head.seq >= seqLimit) break;
        if (nowMs() > sliceEndMs) break;
        this.removeAt(0);
        const firedAtMs = nowMs();
        this.lateness.recordMs(firedAtMs - head.dueMs);
        try {
          head.callback(firedAtMs);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
    }
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index]!;
    removed.heapIndex = -1;
    const last = heap.pop()!;
    if (index === heap.length) return;
    heap[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const task = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!earlier(task, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = task;
    task.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const task = heap[index]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && earlier(heap[right]!, heap[left]!) ? right : left;
      const childTask = heap[child]!;
      if (!earlier(childTask, task)) break;
      heap[index] = childTask;
      childTask.heapIndex = index;
      index = child;
    }
    heap[index] = task;
    task.heapIndex = index;
  }
}

function earlier(a: WheelTask, b: WheelTask): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}
