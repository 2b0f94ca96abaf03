// Drives one run: executes the load model's requests through a protocol driver, feeds every
// finished request to the outputs as it happens, ticks the timeline each second, and stops on
// the duration, the request budget, or an interruption — always ending with collected results.
import { nowMs } from "../clock.js";
import { Collector } from "../metrics/collector.js";
import type { TimelinePoint } from "../report/types.js";
import type { Output } from "../report/output.js";
import type { ProtocolDriver, RequestSpec } from "../protocols/types.js";
import type { LoadModel, WorkloadContext } from "../workload/types.js";

export interface RunnerOptions {
  model: LoadModel;
  driver: ProtocolDriver;
  collector: Collector;
  outputs: readonly Output[];
  /** Produces the request for a client's cycle. */
  nextRequest(client: number, cycle: number): RequestSpec;
  /** Stop issuing after this long, seconds (null: when the model is done). */
  durationS: number | null;
  /** Total request budget (null: unlimited). */
  maxRequests: number | null;
  /** After the duration ends, how long in-flight requests may still finish before being cancelled, ms. */
  gracefulStopMs: number;
  /** Called when a second closes; the live views use it. */
  onTick?(point: TimelinePoint): void;
}

export type StopReason = "completed" | "duration" | "budget" | "interrupted";

export interface RunOutcome {
  collector: Collector;
  durationS: number;
  stopReason: StopReason;
  interrupted: boolean;
}

export class Runner {
  private stopReason: StopReason | null = null;
  private readonly sleepers = new Set<() => void>();
  private issued = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private interruptResolve: (() => void) | null = null;
  private durationResolve: (() => void) | null = null;

  constructor(private readonly options: RunnerOptions) {}

  /** Stop the run early (Ctrl-C): in-flight requests are cancelled and the run ends now. */
  interrupt(): void {
    this.stop("interrupted");
    this.options.driver.cancelAll();
    this.interruptResolve?.();
  }

  private stop(reason: StopReason): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    if (reason === "duration") this.durationResolve?.();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  async run(): Promise<RunOutcome> {
    const { model, driver, collector, outputs, durationS } = this.options;
    const planned = this.options.maxRequests ?? model.plannedRequests;
    let lastPoint: TimelinePoint | null = null;

    const ticker = setInterval(() => {
      lastPoint = collector.tick();
      this.options.onTick?.(lastPoint);
      const snapshot = collector.snapshot(planned, lastPoint);
      for (const output of outputs) output.onTick?.(snapshot);
    }, 1000);

    const durationTimer =
      durationS !== null ? setTimeout(() => this.stop("duration"), Math.max(0, durationS * 1000)) : null;

    const interrupted = new Promise<void>((resolve) => {
      this.interruptResolve = resolve;
    });
    // At the duration, requests in flight get the grace period below, not their whole timeout (the
    // model itself only ends once they have).
    const durationReached = new Promise<void>((resolve) => {
      this.durationResolve = resolve;
    });

    const runner = this;
    const context: WorkloadContext = {
      issue: (client, cycle, intendedAt) => this.issue(client, cycle, intendedAt ?? nowMs()),
      cycleDone: () => {
        collector.cycles++;
      },
      get stopping() {
        return runner.stopReason !== null;
      },
      sleep: (ms) => this.sleep(ms),
    };

    const modelDone = model.run(context);
    await Promise.race([modelDone, interrupted, durationReached]);
    if (this.stopReason === null) this.stop("completed");

    if (this.stopReason !== "interrupted" && this.inFlight.size > 0) {
      // Let requests that were already sent finish, within the grace period.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, this.options.gracefulStopMs).unref());
      await Promise.race([Promise.all(this.inFlight), grace, interrupted]);
    }
    driver.cancelAll();
    await Promise.all(this.inFlight);
    // The model's loops end as their last requests settle (an interruption does not wait for them).
    await Promise.race([modelDone, interrupted]);

    if (durationTimer) clearTimeout(durationTimer);
    clearInterval(ticker);
    const endedAt = nowMs();
    // Close the last, partial second so the timeline covers the whole run.
    if (endedAt - collector.lastTickAt > 50) {
      const point = collector.tick();
      this.options.onTick?.(point);
    }
    const stopReason = this.stopReason ?? "completed";
    return {
      collector,
      durationS: (endedAt - collector.startedAt) / 1000,
      stopReason,
      interrupted: stopReason === "interrupted",
    };
  }

  private issue(client: number, cycle: number, intendedAt: number): Promise<boolean> {
    if (this.stopReason !== null) return Promise.resolve(false);
    const { maxRequests } = this.options;
    if (maxRequests !== null && this.issued >= maxRequests) {
      this.stop("budget");
      return Promise.resolve(false);
    }
    this.issued++;
    const { collector, driver, outputs } = this.options;
    const spec = this.options.nextRequest(client, cycle);
    const trace = collector.begin(spec.type, client, cycle, intendedAt);
    const execution = driver.execute(spec, trace).then(() => {
      const record = collector.finish(trace);
      for (const output of outputs) output.onRequest?.(record);
    });
    this.inFlight.add(execution);
    return execution.then(() => {
      this.inFlight.delete(execution);
      if (maxRequests !== null && this.issued >= maxRequests) this.stop("budget");
      return true;
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopReason !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
