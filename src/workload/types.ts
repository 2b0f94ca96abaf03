// The contract between load models and the runner: a load model decides WHEN requests start and
// on behalf of which virtual client; the runner executes them, measures and stops.

export interface WorkloadContext {
  /**
   * Start one request and resolve when it has finished (never rejects). `intendedAt` is the
   * monotonic time the request was meant to start; latency is measured from it as well as from the
   * actual send. Returns false when the run is stopping or the request budget is spent.
   */
  issue(client: number, cycle: number, intendedAt?: number): Promise<boolean>;
  /** Count a client cycle as complete (cycles/s in the report). */
  cycleDone(): void;
  /** True once the run is stopping (duration reached, budget spent, Ctrl-C). */
  readonly stopping: boolean;
  /** Sleep that ends early when the run stops. */
  sleep(ms: number): Promise<void>;
}

export interface LoadModel {
  readonly name: string;
  /** One line for listings and the report. */
  describe(): string;
  /** Requests this model will issue if it runs to completion, when known. */
  readonly plannedRequests: number | null;
  run(ctx: WorkloadContext): Promise<void>;
}
