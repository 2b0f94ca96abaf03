// Runs single requests through a protocol driver against a real server, for driver-level tests.
import { Collector, type CollectorOptions } from "../../src/metrics/collector.js";
import type { RequestRecord } from "../../src/report/types.js";
import type { DriverOptions, ProtocolDefinition } from "../../src/protocols/types.js";

export function driverOptions(target: string, overrides: Partial<DriverOptions> = {}): DriverOptions {
  return {
    target: new URL(target),
    model: "test-model",
    headers: {},
    timeoutMs: 10_000,
    idleTimeoutMs: 5_000,
    connectTimeoutMs: 2_000,
    maxConnections: 64,
    includeUsage: true,
    exactTokens: true,
    onConnect: () => undefined,
    ...overrides,
  };
}

/** Execute `count` requests concurrently and return their raw records plus the collector. */
export async function runRequests(
  protocol: ProtocolDefinition,
  options: DriverOptions,
  count: number,
  maxTokens: number | null,
  collectorOptions: CollectorOptions = {},
): Promise<{ records: RequestRecord[]; collector: Collector }> {
  const collector = new Collector(collectorOptions);
  const driver = protocol.create({ ...options, onConnect: (ms) => (ms === null ? collector.recordConnectFailure() : collector.recordConnect(ms)) });
  try {
    const records = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const trace = collector.begin("test", i, 0);
        await driver.execute({ type: "test", prompt: "hello there world", maxTokens }, trace);
        return collector.finish(trace);
      }),
    );
    return { records, collector };
  } finally {
    await driver.close();
  }
}
