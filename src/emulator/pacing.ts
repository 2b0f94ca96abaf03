// Delays of one generation: the configured base, load-dependent slowdown (the running batch, and the
// KV-cache tokens held), pipeline overhead, and jitter. Jitter is an offset on a due time, never added to the schedule, so it cannot accumulate.

export interface PacingConfig {
  jitter: number;
  slowdownUnderLoad: number;
  extraDelayPerTokenMs: number;
  /** ms added to every inter-token gap per 1,000 KV-cache tokens held (--decode-ms-per-1k-kv). */
  decodeMsPer1kKv: number;
}

export class Pacing {
  constructor(
    private readonly config: PacingConfig,
    private readonly random: () => number,
    private readonly running: () => number,
    private readonly kvTokens: () => number = () => 0,
  ) {}

  /** The gap before the next token, given the load at the moment it is scheduled. */
  interTokenMs(itlMs: number): number {
    const { slowdownUnderLoad, extraDelayPerTokenMs, decodeMsPer1kKv } = this.config;
    const others = Math.max(0, this.running() - 1);
    const kv = decodeMsPer1kKv === 0 ? 0 : (decodeMsPer1kKv * this.kvTokens()) / 1000;
    return itlMs * (1 + slowdownUnderLoad * others) + extraDelayPerTokenMs + kv;
  }

  /** Offset for one firing whose nominal delay is `baseMs`: uniform in ±jitter × base. */
  jitterMs(baseMs: number): number {
    const { jitter } = this.config;
    return jitter === 0 ? 0 : baseMs * jitter * (2 * this.random() - 1);
  }
}
