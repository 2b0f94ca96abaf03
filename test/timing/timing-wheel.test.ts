// The shared timing wheel's cadence and lateness (timing suite: bounds are the idle machine's plus
// the event-loop delay this process showed meanwhile, ./machine.ts). Order and cancellation are in
// test/timing-wheel.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nowMs } from "../../src/clock.js";
import { TimingWheel } from "../../src/emulator/timing-wheel.js";
import { allowanceMs, describeMachine, watchMachine } from "./machine.js";

test("drift-free cadence: 200 ticks at 5 ms end within 3 ms of 1000 ms", async () => {
  const wheel = new TimingWheel();
  const periodMs = 5;
  const ticks = 200;
  const startMs = nowMs();
  const watch = watchMachine();
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
  const machine = watch.stop();
  const elapsedMs = lastFiredAtMs - startMs;
  const lateness = wheel.lateness.summary();
  const seen = describeMachine(machine, lateness);
  // Drift-free: only the last firing's own lateness is added to the schedule's 1000 ms.
  assert.ok(elapsedMs >= 1000 && elapsedMs <= 1003 + allowanceMs(machine, null, "max"), `200 ticks took ${elapsedMs.toFixed(3)} ms (${seen})`);
  assert.equal(lateness.count, ticks);
  assert.ok(lateness.p50 < 1 + allowanceMs(machine, null, "p50"), `median lateness ${lateness.p50} ms (${seen})`);
});

test("precise: false waits on plain timers: never fires a task early, and costs next to no CPU while waiting", async () => {
  // 100 tasks 3 ms apart: a polling wheel spins through the last 2 ms before each of them. The
  // precise driver's default sleeps through that stretch instead; `sleep: false` keeps it polling,
  // the cost plain timers are there to avoid.
  const run = async (precise: boolean): Promise<{ cpuMs: number; earliestMs: number; latestMs: number }> => {
    const wheel = new TimingWheel(undefined, precise ? { precise, sleep: false } : { precise });
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
  const watch = watchMachine();
  const timers = await run(false);
  const machine = watch.stop();
  assert.ok(timers.earliestMs >= 0, `a task fired ${-timers.earliestMs} ms early`);
  // Timers are late by up to about a millisecond on an idle machine; a loaded one adds its own delay.
  assert.ok(timers.latestMs < 50 + allowanceMs(machine, null, "max"), `latest firing ${timers.latestMs} ms after its due time (${describeMachine(machine)})`);
  assert.ok(timers.cpuMs < polling.cpuMs / 2, `timers used ${timers.cpuMs.toFixed(1)} ms of CPU, polling ${polling.cpuMs.toFixed(1)} ms`);
});
