// Session nodes for tests: in-process, loopback, free port, fast defaults.
import { startSessionNode, type RunningSessionNode, type SessionNodeOptions } from "../../src/protocols/session/node.js";

export function startTestNode(overrides: Partial<SessionNodeOptions> = {}): Promise<RunningSessionNode> {
  return startSessionNode({
    host: "127.0.0.1",
    port: 0,
    role: "all",
    broker: { kind: "in-process" },
    defaults: { length: 10, delayMs: 1, ttftMs: 1 },
    apiKey: null,
    pingIntervalS: 25,
    preciseTiming: false,
    ...overrides,
  });
}

/** POST /api/run and return the status and parsed body. */
export async function postRun(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/api/run`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
