// The load generator watching itself: event-loop delay and process CPU each second. A generator
// whose own loop falls behind stamps bytes late, and its TTFT and ITL grow with nothing to show
// for it; this puts that lag in the timeline and the report, and warns on the console once.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** A second whose event-loop delay p99 passes this is a saturated second. */
export const LOOP_DELAY_BOUND_MS = 50;
/** CPU of one core, percent, at or above which a second counts as CPU-bound... */
export const CPU_BOUND_PERCENT = 90;
/** ...when this many seconds in a row are (as Locust warns for CPU). */
const CPU_BOUND_SECONDS = 3;
/** Resolution of Node's event-loop delay sampling, ms. */
const SAMPLE_RESOLUTION_MS = 10;

export interface ClientSecond {
  loop_delay_p99_ms: number;
  cpu_percent: number;
}

/** What /metrics shows of the generator's health while it runs (set each second). */
export interface ClientHealth {
  /** The last second's event-loop delay p99, ms. */
  loopDelayP99Ms: number;
  /** Process CPU (user + system) since the run started, seconds. */
  cpuSeconds: number;
  /** Whether the generator has saturated at any second so far. */
  saturated: boolean;
}

/** The report's `client` block (one per worker under `workers` for --workers runs). */
export interface ClientBlock {
  /** Whether the generator's own lag may have shown up in its figures (see the bounds above). */
  saturated: boolean;
  /** Event-loop delay p99 over the whole run, ms. */
  loop_delay_p99_ms: number;
  /** Mean process CPU over the run, percent of one core. */
  cpu_percent: number;
  /** The highest one second's CPU, percent of one core. */
  cpu_percent_max: number;
  /** Per worker process, for runs with --workers. */
  workers?: ClientBlock[];
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

function p99Ms(histogram: IntervalHistogram): number {
  return histogram.count === 0 ? 0 : round1(histogram.percentile(99) / 1e6);
}

export class SelfWatch {
  private readonly run = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
  private readonly second = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
  private readonly startCpu = process.cpuUsage();
  private readonly startedAtMs = performance.now();
  private lastCpu = process.cpuUsage();
  private lastAtMs = performance.now();
  private cpuBoundSeconds = 0;
  private cpuMax = 0;
  private saturatedSeen = false;
  private warned = false;

  constructor(private readonly warn: (message: string) => void) {
    this.run.enable();
    this.second.enable();
  }

  /** Close one second: its figures, and a console warning the first time the generator saturates. */
  sample(): ClientSecond {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const elapsedMs = Math.max(1, now - this.lastAtMs);
    this.lastAtMs = now;
    const figures: ClientSecond = {
      loop_delay_p99_ms: p99Ms(this.second),
      cpu_percent: round1(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
    };
    this.second.reset();
    this.cpuMax = Math.max(this.cpuMax, figures.cpu_percent);
    this.cpuBoundSeconds = figures.cpu_percent >= CPU_BOUND_PERCENT ? this.cpuBoundSeconds + 1 : 0;
    if (figures.loop_delay_p99_ms > LOOP_DELAY_BOUND_MS || this.cpuBoundSeconds >= CPU_BOUND_SECONDS) {
      this.saturatedSeen = true;
      if (!this.warned) {
        this.warned = true;
        this.warn(
          `warning: the load generator is saturated (event-loop delay p99 ${figures.loop_delay_p99_ms} ms, CPU ${figures.cpu_percent}% of a core): ` +
            "its TTFT and ITL include its own lag; spread the load (--workers N) or lower it",
        );
      }
    }
    return figures;
  }

  /** The run so far, after `sample` has closed a second with `second`'s figures. */
  health(second: ClientSecond): ClientHealth {
    const cpu = process.cpuUsage(this.startCpu);
    return { loopDelayP99Ms: second.loop_delay_p99_ms, cpuSeconds: (cpu.user + cpu.system) / 1e6, saturated: this.saturatedSeen };
  }

  block(): ClientBlock {
    const cpu = process.cpuUsage(this.startCpu);
    const elapsedMs = Math.max(1, performance.now() - this.startedAtMs);
    const loopDelayP99 = p99Ms(this.run);
    return {
      saturated: this.saturatedSeen || loopDelayP99 > LOOP_DELAY_BOUND_MS,
      loop_delay_p99_ms: loopDelayP99,
      cpu_percent: round1(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
      cpu_percent_max: this.cpuMax,
    };
  }

  stop(): void {
    this.run.disable();
    this.second.disable();
  }
}

/** The client block of a run made of several workers' reports: saturated if any was. */
export function mergeClientBlocks(blocks: readonly ClientBlock[]): ClientBlock | undefined {
  if (blocks.length === 0) return undefined;
  return {
    saturated: blocks.some((block) => block.saturated),
    loop_delay_p99_ms: Math.max(...blocks.map((block) => block.loop_delay_p99_ms)),
    cpu_percent: round1(blocks.reduce((sum, block) => sum + block.cpu_percent, 0)),
    cpu_percent_max: Math.max(...blocks.map((block) => block.cpu_percent_max)),
    workers: blocks.map(({ workers: _nested, ...block }) => block),
  };
}
