// The one scheduler behind every emulated stream. Thousands of streams each keep a single pending
// task in a binary min-heap ordered by absolute due time, and one driver wakes for the earliest:
// a coarse setTimeout while it is far away, then, for the last stretch, short precise sleeps between
// setImmediate passes, because Node timers alone fire up to a millisecond late and that error would
// show up as false ITL. Polling without the sleeps held a whole core whatever the load (a quiet
// 250-stream emulator spent 80 us of CPU per token, nearly all of it waiting).
import { nowMs } from "../clock.js";
import { LatencyHistogram } from "../metrics/histogram.js";

/** Closer than this to the next due time, the driver polls instead of arming a timer. */
const POLL_WINDOW_MS = 2;
/** Tasks due within this of the earliest count as one cluster for centring. */
const CLUSTER_WINDOW_MS = 0.2;
const MAX_CLUSTER = 1024;
const MAX_LEAD_MS = 2;
/** Weight of the newest firing in the running average of a firing's cost. */
const COST_SMOOTHING = 0.05;
/** Longest run of firings before the wheel lets pending I/O in. */
const PASS_SLICE_MS = 0.5;
/** A timer is armed this much before the due time so that polling, not the timer, decides the firing. */
const TIMER_LEAD_MS = 1.5;
/**
 * Longest single sleep in the last stretch. The sleep blocks the thread (Atomics.wait), so it is also
 * the longest a request or an accept arriving meanwhile waits to be read.
 */
const SLEEP_QUANTUM_MS = 0.25;
/**
 * The shortest sleep. A task due sooner than this plus the usual wake-up overshoot is still slept
 * for this long rather than polled: it fires at most about 0.2 ms late (never early), and dense
 * streams (tens of thousands of firings a second) fire in batches between sleeps instead of holding
 * a core. Each sleep is a context switch: at 1,000 streams of 20 ms, 0.1 ms here instead of 0.02
 * halves the sleeps and takes about a tenth off the CPU per token, for a mean timing error of about
 * 0.1 ms instead of 0.05 (bench/RESULTS.md).
 */
const MIN_SLEEP_MS = 0.1;
/** Weight of the newest sleep in the running average of how late a sleep wakes. */
const OVERSHOOT_SMOOTHING = 0.1;
/** The cell the sleeps wait on; nothing ever notifies it, so each sleep runs to its timeout. */
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));
/**
 * Longest delay Node's setTimeout takes (2^31 - 1 ms, about 24.8 days); a longer one is cut to 1 ms
 * with a TimeoutOverflowWarning. A task due later is reached by waking at this limit and re-arming.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export type WheelCallback = (firedAtMs: number) => void;

/** One pending firing; hand it back to `cancel` to drop it. */
export class WheelTask {
  /** Position in the heap; -1 once fired, cancelled or never scheduled. */
  heapIndex = -1;

  constructor(
    /** Set again by `reschedule`. */
    public dueMs: number,
    public seq: number,
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
  /** |fire time − due time| of every firing: centred clusters fire some tasks early, some late. */
  readonly lateness = new LatencyHistogram();
  private readonly heap: WheelTask[] = [];
  private nextSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerWakeMs = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  private firing = false;
  /** How early the current cluster starts (see centringLeadMs). */
  private leadMs = 0;
  /** Running average of one firing's cost, ms. */
  private fireCostMs = 0;
  private stopped = false;

  /** Running average of how much later than asked a sleep wakes, ms (the kernel's timer slack and wake-up). */
  private sleepOvershootMs = 0.06;

  private readonly pollWindowMs: number;
  private readonly timerLeadMs: number;
  private readonly sleeps: boolean;

  /**
   * `onError` receives exceptions thrown by callbacks, so one broken stream cannot stall the rest.
   * `precise: false` drops the polling: plain timers, which may fire up to a millisecond or so late
   * but cost nothing while waiting (for a load generator's own pacing, where a spinning event loop
   * would take CPU from the measurement). `sleep: false` keeps the precise driver polling without
   * sleeping in its last stretch (every firing on its due time to the microsecond, a core spent).
   */
  constructor(
    private readonly onError: (err: unknown) => void = rethrowLater,
    options: { precise?: boolean; sleep?: boolean } = {},
  ) {
    const precise = options.precise ?? true;
    this.pollWindowMs = precise ? POLL_WINDOW_MS : 0;
    this.timerLeadMs = precise ? TIMER_LEAD_MS : 0;
    this.sleeps = precise && options.sleep !== false;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Run `callback` at `dueMs` (monotonic, from nowMs()). Tasks due at the same time fire in schedule order. */
  schedule(dueMs: number, callback: WheelCallback): WheelTask {
    const task = new WheelTask(dueMs, this.nextSeq++, callback);
    this.insert(task);
    return task;
  }

  /**
   * Run `task`'s callback again, at `dueMs`: a stream's firings reuse one task instead of allocating
   * one per token. A task still pending is moved to the new time.
   */
  reschedule(task: WheelTask, dueMs: number): void {
    if (task.heapIndex >= 0) this.removeAt(task.heapIndex);
    task.dueMs = dueMs;
    task.seq = this.nextSeq++;
    this.insert(task);
  }

  private insert(task: WheelTask): void {
    if (this.stopped) return;
    this.heap.push(task);
    task.heapIndex = this.heap.length - 1;
    this.siftUp(task.heapIndex);
    // During a firing pass the driver re-arms once the pass is over.
    if (task.heapIndex === 0 && !this.firing) this.arm();
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
    this.leadMs = this.centringLeadMs();
    const dueMs = this.heap[0]!.dueMs - this.leadMs;
    const deltaMs = dueMs - nowMs();
    if (deltaMs <= this.pollWindowMs) {
      this.clearTimer();
      this.immediate = setImmediate(this.onImmediate);
      return;
    }
    const delayMs = Math.min(MAX_TIMER_DELAY_MS, deltaMs - this.timerLeadMs);
    const wakeMs = dueMs - deltaMs + delayMs;
    if (this.timer !== undefined && this.timerWakeMs <= wakeMs) return;
    this.clearTimer();
    this.timerWakeMs = wakeMs;
    this.timer = setTimeout(this.onTimer, delayMs);
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
    if (this.sleeps && this.heap.length > 0 && this.sleepBeforeHead()) {
      // Back through the event loop, so that what arrived during the sleep is read before the firing.
      this.immediate = setImmediate(this.onImmediate);
      return;
    }
    this.fireDue();
    this.arm();
  };

  /** Sleep towards the head's due time, waking early by the usual overshoot; false when it is due now. */
  private sleepBeforeHead(): boolean {
    const startMs = nowMs();
    const waitMs = this.heap[0]!.dueMs - this.leadMs - startMs;
    if (waitMs <= 0) return false;
    const sleepMs = Math.min(SLEEP_QUANTUM_MS, Math.max(MIN_SLEEP_MS, waitMs - this.sleepOvershootMs));
    Atomics.wait(SLEEP_CELL, 0, 0, sleepMs);
    const overshootMs = nowMs() - startMs - sleepMs;
    this.sleepOvershootMs += (Math.max(0, overshootMs) - this.sleepOvershootMs) * OVERSHOOT_SMOOTHING;
    return true;
  }

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
    // One clock reading per firing: the time a firing ends is the next one's firing time.
    let firedAtMs = passStartMs;
    this.firing = true;
    try {
      while (this.heap.length > 0) {
        const head = this.heap[0]!;
        if (head.dueMs > passStartMs + this.leadMs || head.seq >= seqLimit) break;
        if (firedAtMs > sliceEndMs) break;
        this.removeAt(0);
        this.lateness.recordMs(Math.abs(firedAtMs - head.dueMs));
        try {
          head.callback(firedAtMs);
        } catch (err) {
          this.onError(err);
        }
        const endedAtMs = nowMs();
        this.fireCostMs += (endedAtMs - firedAtMs - this.fireCostMs) * COST_SMOOTHING;
        firedAtMs = endedAtMs;
      }
    } finally {
      this.firing = false;
    }
  }

  /**
   * Tasks due at the same instant cannot all fire at it: one after another they take k × the cost
   * of a firing. Starting such a cluster early by half that time centres its firings on the due
   * time, halving the worst error and taking the mean error to about zero.
   */
  private centringLeadMs(): number {
    const cost = this.fireCostMs;
    if (cost <= 0) return 0;
    const horizonMs = this.heap[0]!.dueMs + CLUSTER_WINDOW_MS;
    let cluster = 0;
    const pending = [0];
    while (pending.length > 0 && cluster < MAX_CLUSTER) {
      const index = pending.pop()!;
      const task = this.heap[index];
      if (task === undefined || task.dueMs > horizonMs) continue;
      cluster++;
      pending.push(2 * index + 1, 2 * index + 2);
    }
    return Math.min(MAX_LEAD_MS, ((cluster - 1) * cost) / 2);
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
