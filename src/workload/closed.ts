// Closed model (seed 000): N virtual clients, each running its cycles back to back with optional
// think time, at most --max-concurrent requests in flight at once. A client's next request starts
// only after its previous one ended, so the offered load adapts to the server's speed.
import { nowMs } from "../clock.js";
import { Semaphore } from "./semaphore.js";
import type { LoadModel, WorkloadContext } from "./types.js";

export interface ClosedModelOptions {
  clients: number;
  /** Cycles per client; null runs until the duration or request budget ends the run. */
  cycles: number | null;
  maxConcurrent: number;
  thinkTimeMs: number;
}

export class ClosedModel implements LoadModel {
  readonly name = "closed";

  constructor(private readonly options: ClosedModelOptions) {}

  get plannedRequests(): number | null {
    return this.options.cycles === null ? null : this.options.clients * this.options.cycles;
  }

  describe(): string {
    const { clients, cycles, maxConcurrent, thinkTimeMs } = this.options;
    const cycleText = cycles === null ? "until stopped" : `${cycles} cycles each`;
    return `closed: ${clients} clients, ${cycleText}, at most ${maxConcurrent} concurrent, think ${thinkTimeMs / 1000}s`;
  }

  async run(ctx: WorkloadContext): Promise<void> {
    const gate = new Semaphore(this.options.maxConcurrent);
    const clients: Promise<void>[] = [];
    for (let client = 0; client < this.options.clients; client++) clients.push(this.client(client, ctx, gate));
    await Promise.all(clients);
  }

  private async client(client: number, ctx: WorkloadContext, gate: Semaphore): Promise<void> {
    const { cycles, thinkTimeMs } = this.options;
    for (let cycle = 0; cycles === null || cycle < cycles; cycle++) {
      if (ctx.stopping) return;
      // Time waiting for a concurrency slot is reported as queue time, not as latency.
      const intendedAt = nowMs();
      await gate.acquire();
      let issued: boolean;
      try {
        issued = await ctx.issue(client, cycle, intendedAt);
      } finally {
        gate.release();
      }
      if (!issued) return;
      ctx.cycleDone();
      if (thinkTimeMs > 0 && (cycles === null || cycle < cycles - 1)) await ctx.sleep(thinkTimeMs);
    }
  }
}
