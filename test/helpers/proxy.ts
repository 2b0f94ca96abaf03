// A tokenstorm proxy in this process in front of an upstream, on a free loopback port, for tests
// that read a route through it: no queue limit, no outputs unless given.
import { LiveTrafficProxy } from "../../src/proxy/server.js";

export function startTestProxy(upstream: string, options: Partial<Parameters<typeof LiveTrafficProxy.start>[0]> = {}): Promise<LiveTrafficProxy> {
  return LiveTrafficProxy.start({
    host: "127.0.0.1",
    port: 0,
    upstream: new URL(upstream),
    maxUpstream: 0,
    maxQueue: 100,
    idleTimeoutMs: 30_000,
    outputs: [],
    config: { protocol: "proxy", target: upstream },
    ...options,
  });
}
