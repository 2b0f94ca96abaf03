// The shared timing wheel: firing order, cancellation, fairness, and — kept in this file because it
// is timing-sensitive — drift-free cadence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nowMs } from "../src/clock.js";
import { TimingWheel } from "../src/emulator/timing-wheel.js";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test("fires in due order, and in schedule order for equal due times", async () => {
  const wheel = new TimingWheel();
  const base = nowMs() + 5;
  const offsets = [9, 3, 15, 0, 3, 12, 6, 0, 9, 1];
  const fired: number[] = [];
  offsets.forEach((offset, index) => wheel.schedule(base + offset, () => fired.push(index)));
  await sleep(40);
  const expected = offsets
    .map((offset, index) => ({ offset, index }))
    .sort((a, b) => a.offset - b.offset || a.index - b.index)
    .map(({ index }) => index);
  assert.deepEqual(fired, expected);
  assert.equal(wheel.size, 0);
  assert.equal(wheel.lateness.count, offsets.length);
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
  await sleep(35);
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
  await sleep(20);
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
  await sleep(20);
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

test("drift-free cadence: 200 ticks at 5 ms end within 3 ms of 1000 ms", async () => {
  const wheel = new TimingWheel();
  const periodMs = 5;
  const ticks = 200;
  const startMs = nowMs();
  const lastFiredAtMs = await new Promise<number>((resolve) => {
    let n = 0;
    const tick = (firedAtMs: number): void => {
      n++;
      if (n === ticks) resolve(firedAtMs);
      // The next due time comes from the schedule, never from the (late) firing time.
      else wheel.schedule(startMs + (n + 1) * periodMs, tick);
    };
    wheel.schedule(startMs + periodMs, tick);
  });
  const elapsedMs = lastFiredAtMs - startMs;
  assert.ok(elapsedMs >= 1000 && elapsedMs <= 1003, `200 ticks took ${elapsedMs.toFixed(3)} ms`);
  const lateness = wheel.lateness.summary();
  assert.equal(lateness.count, ticks);
  assert.ok(lateness.p50 < 1, `median lateness ${lateness.p50} ms`);
});

test("precise: false waits on plain timers: never fires a task early, and costs next to no CPU while waiting", async () => {
  // 100 tasks 3 ms apart: a polling wheel spins through the last 2 ms before each of them.
  const run = async (precise: boolean): Promise<{ cpuMs: number; earliestMs: number; latestMs: number }> => {
    const wheel = new TimingWheel(undefined, { precise });
    const startMs = nowMs() + 5;
    const cpuBefore = process.cpuUsage();
    let earliestMs = Infinity;
    let latestMs = -Infinity;
    await new Promise<void>((resolve) => {
      let left = 100;
      for (let i = 0; i < 100; i++) {
        const dueMs = startMs + i * 3;
        wheel.schedule(dueMs, (firedAtMs) => {
          earliestMs = Math.min(earliestMs, firedAtMs - dueMs);
          latestMs = Math.max(latestMs, firedAtMs - dueMs);
          if (--left === 0) resolve();
        });
      }
    });
    const cpu = process.cpuUsage(cpuBefore);
    return { cpuMs: (cpu.user + cpu.system) / 1000, earliestMs, latestMs };
  };
  const polling = await run(true);
  const timers = await run(false);
  assert.ok(timers.earliestMs >= 0, `a task fired ${-timers.earliestMs} ms early`);
  // Timers are late by up to about a millisecond on an idle machine; a loaded one adds its own delay.
  assert.ok(timers.latestMs < 50, `latest firing ${timers.latestMs} ms after its due time`);
  assert.ok(timers.cpuMs < polling.cpuMs / 2, `timers used ${timers.cpuMs.toFixed(1)} ms of CPU, polling ${polling.cpuMs.toFixed(1)} ms`);
});
