// When the target is a tokenstorm emulator, its own GET /stats: the report then carries the
// emulator's timing error for the run, so that emulator lag is never read as the system's latency.
import { connectOptions } from "../protocols/http/connections.js";
import { Client, buildConnector, request } from "../protocols/http/undici-client.js";
import type { EmulatorBlock } from "../report/types.js";
import type { LatencySummary } from "../metrics/histogram.js";
import { tlsConnectOptions, type ClientTls } from "../protocols/tls.js";

const STATS_TIMEOUT_MS = 1_000;

interface EmulatorStatsReply {
  lateness: LatencySummary;
  tokensSent: number;
  workers?: number;
}

/**
 * The target's /stats if it answers like a tokenstorm emulator; null for any other server. An
 * https:// emulator is trusted as the run's drivers trust it (`tls`: --cacert, --insecure, --cert),
 * and with `http2` (--http2) asked as the drivers ask: ALPN over TLS, prior knowledge (h2c) over
 * http://, where an `emulate --http2` without TLS speaks nothing else.
 */
export async function readEmulatorStats(target: string, tls?: ClientTls, http2 = false): Promise<EmulatorStatsReply | null> {
  let url: URL;
  try {
    url = new URL("/stats", target);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const connect = http2 ? buildConnector(connectOptions(tls, true)) : tlsConnectOptions(tls);
  const client = new Client(url.origin, { connect, ...(http2 ? { allowH2: true } : {}) });
  try {
    const response = await request.call(client, { method: "GET", path: url.pathname, signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return null;
    }
    const body = (await response.body.json()) as Partial<EmulatorStatsReply>;
    if (typeof body.tokensSent !== "number" || typeof body.lateness?.count !== "number") return null;
    return body as EmulatorStatsReply;
  } catch {
    return null;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export function emulatorBlock(before: EmulatorStatsReply, after: EmulatorStatsReply): EmulatorBlock {
  return {
    lateness: after.lateness,
    tokens_sent: after.tokensSent - before.tokensSent,
    ...(after.workers !== undefined ? { workers: after.workers } : {}),
  };
}
