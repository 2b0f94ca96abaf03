// The shared timing wheel: firing order, cancellation, fairness. Its cadence and lateness are in the
// timing suite (test/timing/timing-wheel.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { nowMs } from "../src/clock.js";
import { TimingWheel } from "../src/emulator/timing-wheel.js";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `done()` holds (a busy machine fires late, never wrongly), then a little longer for strays. */
async function settled(done: () => boolean, strayMs = 20): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done() && Date.now() < deadline; ) await sleep(5);
  await sleep(strayMs);
}

test("fires in due order, and in schedule order for equal due times", async () => {
  const wheel = new TimingWheel();
  const base = nowMs() + 5;
  const offsets = [9, 3, 15, 0, 3, 12, 6, 0, 9, 1];
  const fired: number[] = [];
  offsets.forEach((offset, index) => wheel.schedule(base + offset, () => fired.push(index)));
  await settled(() => fired.length === offsets.length);
  const expected = offsets
    .map((offset, index) => ({ offset, index }))
    .sort((a, b) => a.offset - b.offset || a.index - b.index)
    .map(({ index }) => index);
  assert.deepEqual(fired, expected);
  assert.equal(wheel.size, 0);
  assert.equal(wheel.lateness.count, offsets.length);
});

test("a rescheduled task fires again from its own callback, moves when still pending, and stays cancellable", async () => {
  const wheel = new TimingWheel();
  const fired: string[] = [];
  let count = 0;
  const base = nowMs() + 3;
  // One task object for a whole stream: each firing puts it back 2 ms on.
  const stream = wheel.schedule(base, () => {
    fired.push(`stream ${count}`);
    if (++count < 3) wheel.reschedule(stream, base + 2 * count);
  });
  const other = wheel.schedule(base + 1, () => fired.push("other"));
  // Pending and moved: it now fires after the stream's last firing, once.
  wheel.reschedule(other, base + 5);
  const dropped = wheel.schedule(base + 1, () => fired.push("dropped"));
  wheel.reschedule(dropped, base + 3);
  assert.equal(wheel.cancel(dropped), true);
  await settled(() => fired.length === 4);
  assert.deepEqual(fired, ["stream 0", "stream 1", "stream 2", "other"]);
  assert.equal(wheel.size, 0);
  assert.equal(stream.pending, false);
});

test("a cancelled task never fires, and cancelling twice reports false", async () => {
  const wheel = new TimingWheel();
  const fired: string[] = [];
  const now = nowMs();
  const first = wheel.schedule(now + 5, () => fired.push("first"));
  const second = wheel.schedule(now + 10, () => fired.push("second"));
  wheel.schedule(now + 15, () => fired.push("third"));
  assert.equal(wheel.cancel(first), true);
  assert.equal(wheel.cancel(second), true);
  assert.equal(wheel.cancel(second), false);
  assert.equal(second.pending, false);
  await settled(() => fired.includes("third"));
  assert.deepEqual(fired, ["third"]);
});

test("cancelling from inside a firing pass drops a task due in the same pass", async () => {
  const wheel = new TimingWheel();
  const due = nowMs() + 3;
  const fired: string[] = [];
  const victim = wheel.schedule(due, () => fired.push("victim"));
  wheel.schedule(due - 1, () => {
    fired.push("killer");
    wheel.cancel(victim);
  });
  await settled(() => fired.includes("killer"));
  assert.deepEqual(fired, ["killer"]);
});

test("tasks scheduled by a callback for the past wait for the next pass instead of starving I/O", async () => {
  const wheel = new TimingWheel();
  let ticks = 0;
  let ticksWhenOtherWorkRan = -1;
  const tick = (): void => {
    ticks++;
    if (ticks < 1000) wheel.schedule(0, tick);
  };
  wheel.schedule(0, tick);
  setImmediate(() => {
    ticksWhenOtherWorkRan = ticks;
  });
  while (ticks < 1000) await sleep(5);
  assert.ok(ticksWhenOtherWorkRan >= 0 && ticksWhenOtherWorkRan < 10, `other work ran after ${ticksWhenOtherWorkRan} ticks`);
});

test("an exception in one callback reaches onError and the others still fire", async () => {
  const errors: unknown[] = [];
  const wheel = new TimingWheel((err) => errors.push(err));
  const fired: number[] = [];
  const due = nowMs() + 2;
  wheel.schedule(due, () => fired.push(1));
  wheel.schedule(due, () => {
    throw new Error("boom");
  });
  wheel.schedule(due, () => fired.push(3));
  await settled(() => fired.length === 2 && errors.length === 1);
  assert.deepEqual(fired, [1, 3]);
  assert.equal(errors.length, 1);
});

test("stop() drops pending tasks and later schedules never fire", async () => {
  const wheel = new TimingWheel();
  let fired = 0;
  wheel.schedule(nowMs() + 3, () => fired++);
  wheel.stop();
  wheel.schedule(nowMs(), () => fired++);
  await sleep(15);
  assert.equal(fired, 0);
  assert.equal(wheel.size, 0);
});

test("the precise wheel sleeps in its last stretch but never fires a task before its due time", async () => {
  // Tasks 0.25-3 ms apart (apart enough that no cluster is centred, which fires some of its tasks
  // early on purpose): none may fire early, whether the driver polled or slept its way to it, or was
  // woken by a timer. A busy machine only makes them later.
  const wheel = new TimingWheel();
  const base = nowMs() + 5;
  const early: string[] = [];
  let fired = 0;
  const gaps = [0.25, 0.3, 0.5, 1, 3];
  let due = base;
  for (let i = 0; i < 100; i++) {
    due += gaps[i % gaps.length]!;
    const dueMs = due;
    wheel.schedule(dueMs, (firedAtMs) => {
      fired++;
      if (firedAtMs < dueMs) early.push(`task ${i} fired ${(dueMs - firedAtMs).toFixed(4)} ms early`);
    });
  }
  await settled(() => fired === 100);
  assert.equal(fired, 100);
  assert.deepEqual(early, []);
});
