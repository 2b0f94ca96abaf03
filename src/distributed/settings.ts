// The distributed layer's settings: as given (a zod object the run composes,
// src/config/run-settings.ts) and as the rest of the run sees them (resolved in ./options.ts).
import { z } from "zod/v3";
import { countOrAutoSetting, numberSetting, textSetting } from "../config/settings.js";

export interface Segment {
  /** 1-based. */
  index: number;
  count: number;
}

export const distributedSettings = z.object({
  segment: textSetting("--segment", "run only segment i of n of this test (1-based); merge the reports with `tokenstorm merge`"),
  workers: countOrAutoSetting("--workers", "local worker processes, each running one segment; 'auto': one per core when the load needs it", 1),
  redis: textSetting("--redis", "controller of a distributed run: hand segments to `tokenstorm worker` processes through this Redis"),
  expectWorkers: numberSetting("--expect-workers", "positiveInt", "with --redis: how many workers the run is split over"),
  registerTimeout: numberSetting("--register-timeout", "positive", "with --redis: how long to wait for the workers to register, seconds", 60),
  heartbeatTimeout: numberSetting("--heartbeat-timeout", "positive", "a worker silent this long is declared dead, seconds", 5),
});

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
