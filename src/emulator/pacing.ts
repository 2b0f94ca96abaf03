// Delays of one generation: the configured base, load-dependent slowdown, pipeline overhead, and
// jitter. Jitter is an offset on a due time, never added to the schedule, so it cannot accumulate.

export interface PacingConfig {
  jitter: number;
  slowdownUnderLoad: number;
  extraDelayPerTokenMs: number;
}

export class Pacing {
  constructor(
    private readonly config: PacingConfig,
    private readonly random: () => number,
    private readonly running: () => number,
  ) {}

  /** The gap before the next token, given the load at the moment it is scheduled. */
  interTokenMs(itlMs: number): number {
    const { slowdownUnderLoad, extraDelayPerTokenMs } = this.config;
    const others = Math.max(0, this.running() - 1);
    return itlMs * (1 + slowdownUnderLoad * others) + extraDelayPerTokenMs;
  }

  /** Offset for one firing whose nominal delay is `baseMs`: uniform in ±jitter × base. */
  jitterMs(baseMs: number): number {
    const { jitter } = this.config;
    return jitter === 0 ? 0 : baseMs * jitter * (2 * this.random() - 1);
  }
}
