// Drives a protocol's client against a throwaway local server for warm-ups: a few concurrent
// clients run their requests back to back, so V8 compiles the driver's hot paths (and the
// transport's parsers) before a measured run begins. Results are discarded.
import { Collector } from "../metrics/collector.js";
import type { ProtocolDefinition, RequestSpec } from "./types.js";

export interface ExerciseOptions {
  /** Requests in all, spread over the clients. */
  requests: number;
  concurrency: number;
  /** DriverOptions flags the warm-up should exercise (usage chunk, exact token counts). */
  includeUsage: boolean;
  exactTokens: boolean;
  /** The request of the n-th cycle. */
  request(cycle: number): RequestSpec;
}

export async function exerciseDriver(protocol: ProtocolDefinition, url: string, options: ExerciseOptions): Promise<void> {
  const collector = new Collector();
  const driver = protocol.create({
    target: new URL(url),
    model: "warm-up",
    headers: {},
    timeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    maxConnections: options.concurrency,
    includeUsage: options.includeUsage,
    exactTokens: options.exactTokens,
    onConnect: () => undefined,
  });
  try {
    const client = async (id: number): Promise<void> => {
      for (let cycle = id; cycle < options.requests; cycle += options.concurrency) {
        const trace = collector.begin("warm-up", id, cycle);
        await driver.execute(options.request(cycle), trace);
        collector.finish(trace);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, id) => client(id)));
  } finally {
    await driver.close();
  }
}
