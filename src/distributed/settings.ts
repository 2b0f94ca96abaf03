// The distributed layer's settings as the rest of the run sees them (resolved in ./options.ts).

export interface Segment {
  /** 1-based. */
  index: number;
  count: number;
}

export interface DistributedFlags {
  segment?: string;
  workers?: string;
  redis?: string;
  expectWorkers?: string;
  registerTimeout?: string;
  heartbeatTimeout?: string;
}

export interface DistributedOptions {
  /** This process runs one segment of a larger run (its report is merged with the others). */
  segment: Segment | null;
  /** Local worker processes, each a segment (1: the run happens in this process). */
  workers: number;
  /** Redis URL: this process is the controller of `expectWorkers` remote workers. */
  redis: string | null;
  expectWorkers: number | null;
  /** How long the controller waits for the workers to register, seconds. */
  registerTimeoutS: number;
  /** A worker silent for this long is declared dead and its segment missing, seconds. */
  heartbeatTimeoutS: number;
}
