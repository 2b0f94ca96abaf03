// When a token is due. The embedded node uses the emulator's timing wheel (exact, but it polls in
// the last two milliseconds before each firing); cluster nodes share two cores with their peers,
// Redis and the load generator, so they use plain timers, which cost nothing while waiting.
import { nowMs } from "../../clock.js";
import { MAX_TIMER_DELAY_MS, TimingWheel } from "../../emulator/timing-wheel.js";

export interface ScheduledTask {
  cancel(): void;
}

export interface Scheduler {
  schedule(dueMs: number, callback: () => void): ScheduledTask;
  stop(): void;
}

export function preciseScheduler(onError: (err: unknown) => void): Scheduler {
  const wheel = new TimingWheel(onError);
  return {
    schedule(dueMs, callback) {
      const task = wheel.schedule(dueMs, callback);
      return { cancel: () => void wheel.cancel(task) };
    },
    stop: () => wheel.stop(),
  };
}

export function timerScheduler(): Scheduler {
  const pending = new Set<NodeJS.Timeout>();
  return {
    schedule(dueMs, callback) {
      let timer: NodeJS.Timeout;
      // Delays past setTimeout's limit wake at the limit and wait again, never overflow to 1 ms.
      const arm = (): void => {
        const delayMs = Math.max(0, dueMs - nowMs());
        timer = setTimeout(() => {
          pending.delete(timer);
          if (delayMs > MAX_TIMER_DELAY_MS) arm();
          else callback();
        }, Math.min(MAX_TIMER_DELAY_MS, delayMs));
        pending.add(timer);
      };
      arm();
      return {
        cancel: () => {
          clearTimeout(timer);
          pending.delete(timer);
        },
      };
    },
    stop() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
