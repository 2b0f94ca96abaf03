// Drives one run: executes the load model's requests through a protocol driver, feeds every
// finished request to the outputs as it happens, ticks the timeline each second, and stops on
// the duration, the request budget, or an interruption — always ending with collected results.
import { nowMs } from "../clock.js";
import { Collector, type TurnOf } from "../metrics/collector.js";
import type { TimelinePoint } from "../report/types.js";
import type { Output } from "../report/output.js";
import type { RequestTrace } from "../metrics/trace.js";
import type { ProtocolDriver, RequestSpec, UserTurn } from "../protocols/types.js";
import { Conversation } from "../workload/conversation.js";
import { conversationId, type ConversationSettings } from "../workload/conversation-settings.js";
import type { LoadModel, WorkloadContext } from "../workload/types.js";

/** --turns: each request the model issues is a conversation of turns (src/workload/conversation.ts). */
export interface ConversationPlan extends ConversationSettings {
  /** A later turn's user message, drawn as the request (client, cycle) would be. */
  followUp(client: number, cycle: number): UserTurn;
  /** A later turn's request as sent (prompt statistics). */
  sent(spec: RequestSpec): void;
}

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
  /** Multi-turn conversations instead of single requests; absent or null: one request per issue. */
  conversations?: ConversationPlan | null;
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
      issue: (client, cycle, intendedAt) =>
        this.options.conversations ? this.converse(this.options.conversations, client, cycle, intendedAt ?? nowMs()) : this.issue(client, cycle, intendedAt ?? nowMs()),
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

  private async issue(client: number, cycle: number, intendedAt: number): Promise<boolean> {
    return (await this.send(client, cycle, intendedAt, () => this.options.nextRequest(client, cycle))) !== null;
  }

  /**
   * One conversation on `client`: its turns in sequence, each after the reply before it and the turn
   * think time. Turn k of conversation `cycle` draws its prompt as request cycle × turns + k - 1, so
   * every turn of every conversation draws its own. A failed turn ends the conversation (not
   * completed), as does the run's stop; true when its first turn was issued.
   */
  private async converse(plan: ConversationPlan, client: number, cycle: number, intendedAt: number): Promise<boolean> {
    const { collector } = this.options;
    const drawn = cycle * plan.turns;
    const id = conversationId(client, cycle);
    let conversation: Conversation | null = null;
    // Drawn only once the request is sure to go (not when the run is stopping or the budget is spent).
    const requestOf = (turn: number) => (): RequestSpec => {
      if (conversation === null) {
        conversation = new Conversation(id, this.options.nextRequest(client, drawn), plan.sessionHeader);
        return conversation.request(null);
      }
      const spec = conversation.request(conversation.userTurn(() => plan.followUp(client, drawn + turn - 1)));
      plan.sent(spec);
      return spec;
    };
    for (let turn = 1; turn <= plan.turns; turn++) {
      if (turn > 1) {
        // A dataset conversation that holds no more turns is complete.
        if (!conversation!.holdsAnotherTurn) break;
        if (plan.thinkTimeS > 0) await this.sleep(plan.thinkTimeS * 1000);
        if (this.stopReason !== null) return true;
        intendedAt = nowMs();
      }
      // The reply is kept only where a next turn will send it back.
      const trace = await this.send(client, cycle, intendedAt, requestOf(turn), { id, turn, keepReply: turn < plan.turns });
      if (trace === null) return turn > 1;
      if (turn === 1) collector.conversationsStarted++;
      if (!trace.ok) return true;
      if (turn < plan.turns) conversation!.answered(trace.replyText ?? "", trace.replyToolCalls ?? []);
    }
    collector.conversationsCompleted++;
    return true;
  }

  /**
   * Send one request and record it; resolves with its trace once finished, or null when it was not
   * sent (the run is stopping or the request budget is spent).
   */
  private send(client: number, cycle: number, intendedAt: number, request: () => RequestSpec, turn?: TurnOf): Promise<RequestTrace | null> {
    if (this.stopReason !== null) return Promise.resolve(null);
    const { maxRequests } = this.options;
    if (maxRequests !== null && this.issued >= maxRequests) {
      this.stop("budget");
      return Promise.resolve(null);
    }
    this.issued++;
    const { collector, driver, outputs } = this.options;
    const spec = request();
    const trace = collector.begin(spec.type, client, cycle, intendedAt, turn);
    const execution = driver.execute(spec, trace).then(() => {
      const record = collector.finish(trace);
      for (const output of outputs) output.onRequest?.(record);
    });
    this.inFlight.add(execution);
    return execution.then(() => {
      this.inFlight.delete(execution);
      if (maxRequests !== null && this.issued >= maxRequests) this.stop("budget");
      return trace;
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
