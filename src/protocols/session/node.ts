// One session node: an HTTP server that is an API node, a gateway node or both (role "all", the
// embedded target). Brokers: in-process (role all only), Redis pub/sub, or a Centrifugo's HTTP
// API (API nodes publishing to a real Centrifugo). Routes: /health, /stats, POST /api/run (API),
// POST /api/publish and WebSocket /connection/websocket (gateway).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RunError } from "../../errors.js";
import { InvalidRequest, readJsonBody, sendError, sendJson } from "../../emulator/http.js";
import { requireObject } from "../../emulator/validate.js";
import { type ApiDefaults, type ApiStats, SessionApi } from "./api.js";
import { type Broker, InProcessBroker, publicationMessage } from "./broker.js";
import { CentrifugoHttpBroker } from "./centrifugo-broker.js";
import { Gateway, type GatewayStats } from "./gateway.js";
import { preciseScheduler, timerScheduler } from "./scheduler.js";
import { hasApiKey } from "./auth.js";
import { PUBLISH_PATH, RUN_PATH, WEBSOCKET_PATH } from "./wire.js";

export type NodeRole = "api" | "gateway" | "all";
export const NODE_ROLES: readonly NodeRole[] = ["api", "gateway", "all"];

export type BrokerSpec =
  | { kind: "in-process" }
  | { kind: "redis"; url: string }
  | { kind: "centrifugo"; url: string; apiKey: string | null };

export interface SessionNodeOptions {
  host: string;
  port: number;
  role: NodeRole;
  broker: BrokerSpec;
  defaults: ApiDefaults;
  /** Key /api/publish and /api/run require (`Authorization: apikey KEY`, see auth.ts); null accepts any caller. */
  apiKey: string | null;
  /** HS256 secret of the connection tokens the gateway requires; null: none required. */
  tokenSecret?: string | null;
  pingIntervalS: number;
  /** Timing-wheel pacing (exact, polls); false: plain timers (cheap, ~1 ms late). */
  preciseTiming: boolean;
  /** One line per HTTP request and WebSocket upgrade on stdout (`--log-level info`). */
  logRequests?: boolean;
  onError?(err: unknown): void;
}

export interface NodeStats {
  role: NodeRole;
  broker: string;
  uptime_s: number;
  api?: ApiStats;
  gateway?: GatewayStats;
}

export interface RunningSessionNode {
  /** HTTP base, e.g. http://127.0.0.1:41234 */
  url: string;
  /** WebSocket endpoint of the gateway (same port). */
  wsUrl: string;
  port: number;
  stats(): NodeStats;
  close(): Promise<void>;
}

const LISTEN_BACKLOG = 4096;

function reportError(err: unknown): void {
  process.stderr.write(`tokenstorm node: ${err instanceof Error ? err.message : String(err)}\n`);
}

/**
 * An access-log line: time, client, method, path, status, milliseconds to the response's end. Health
 * checks are left out: a load balancer sends one every half second and they would bury the requests.
 */
function logRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === "/health") return;
  const started = performance.now();
  const client = req.socket.remoteAddress ?? "-";
  res.once("close", () => {
    const ms = (performance.now() - started).toFixed(1);
    const status = res.writableFinished ? String(res.statusCode) : "aborted";
    process.stdout.write(`${new Date().toISOString()} ${client} ${req.method} ${req.url} ${status} ${ms}ms\n`);
  });
}

async function openBroker(spec: BrokerSpec, role: NodeRole, onError: (err: unknown) => void): Promise<Broker> {
  switch (spec.kind) {
    case "in-process":
      if (role !== "all") throw new RunError(`a ${role} node alone cannot use the in-process broker: give a Redis URL`);
      return new InProcessBroker();
    case "redis":
      try {
        // The Redis client (hundreds of modules) is loaded only by nodes that use it.
        const { RedisBroker } = await import("./redis-broker.js");
        return await RedisBroker.connect(spec.url, { subscribe: role !== "api", onError });
      } catch (err) {
        throw new RunError(`cannot connect to Redis at ${spec.url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    case "centrifugo":
      if (role !== "api") throw new RunError("the centrifugo broker is for API nodes: Centrifugo itself is the gateway");
      return new CentrifugoHttpBroker(spec.url, spec.apiKey);
  }
}

/** POST /api/publish of a gateway: a publication handed to the broker (the caller checks the API key). */
export async function handlePublish(req: IncomingMessage, res: ServerResponse, broker: Broker): Promise<void> {
  const body = requireObject(await readJsonBody(req), "request body");
  const channel = body["channel"];
  if (typeof channel !== "string" || channel === "") throw new InvalidRequest("'channel' must be a non-empty string");
  if (body["data"] === undefined) throw new InvalidRequest("'data' is required");
  await broker.publish(channel, publicationMessage(JSON.stringify(body["data"])));
  sendJson(res, 200, { result: {} });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new RunError(`cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => resolve());
  });
}

export async function startSessionNode(options: SessionNodeOptions): Promise<RunningSessionNode> {
  const onError = options.onError ?? reportError;
  const { role } = options;
  const broker = await openBroker(options.broker, role, onError);
  const scheduler = options.preciseTiming ? preciseScheduler(onError) : timerScheduler();
  const api = role !== "gateway" ? new SessionApi(broker, scheduler, options.defaults, onError) : null;
  const gateway = role !== "api" ? new Gateway({ broker, pingIntervalS: options.pingIntervalS, tokenSecret: options.tokenSecret ?? null, onError }) : null;
  const startedAt = Date.now();

  const stats = (): NodeStats => ({
    role,
    broker: broker.name,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
    ...(api ? { api: api.stats() } : {}),
    ...(gateway ? { gateway: gateway.stats() } : {}),
  });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://node").pathname;
    // Without its broker a node publishes nothing: it says so (HAProxy's check takes it out) and takes no work.
    const brokerDown = !broker.ready();
    if (req.method === "GET" && path === "/health") {
      if (brokerDown) return sendJson(res, 503, { status: "unavailable", role, broker: broker.name, reason: `the ${broker.name} broker is not connected` });
      return sendJson(res, 200, { status: "ok", role, broker: broker.name });
    }
    if (req.method === "GET" && path === "/stats") return sendJson(res, 200, stats());
    if (brokerDown && req.method === "POST" && (path === RUN_PATH || path === PUBLISH_PATH)) {
      return sendError(res, 503, `the ${broker.name} broker is not connected`, { "retry-after": "1" });
    }
    if (req.method === "POST" && (path === RUN_PATH || path === PUBLISH_PATH) && options.apiKey !== null && !hasApiKey(req, options.apiKey)) {
      return sendJson(res, 401, { error: { code: 101, message: "unauthorized" } });
    }
    if (req.method === "POST" && path === RUN_PATH && api) return api.handleRun(req, res);
    if (req.method === "POST" && path === PUBLISH_PATH && gateway) return handlePublish(req, res, broker);
    if (path === WEBSOCKET_PATH && gateway) return sendError(res, 426, "WebSocket upgrade required");
    sendError(res, 404, `no route for ${req.method} ${path} on a ${role} node`);
  };

  const server = createServer({ noDelay: true }, (req, res) => {
    if (options.logRequests) logRequest(req, res);
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof InvalidRequest) return sendError(res, err.status, err.message, err.headers);
      onError(err);
      sendError(res, 500, "internal error");
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    const accepted = gateway !== null && gateway.handleUpgrade(req, socket, head);
    if (options.logRequests) {
      process.stdout.write(`${new Date().toISOString()} ${req.socket.remoteAddress ?? "-"} WEBSOCKET ${req.url} ${accepted ? 101 : 404}\n`);
    }
    if (accepted) return;
    // A plain answer, so the client can say what went wrong (an API node has no WebSockets).
    const body = gateway ? "no WebSocket endpoint here" : `a ${role} node has no WebSocket gateway`;
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  try {
    await listen(server, options.host, options.port);
  } catch (err) {
    await broker.close();
    scheduler.stop();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const hostPart = options.host.includes(":") ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${port}`,
    wsUrl: `ws://${hostPart}:${port}${WEBSOCKET_PATH}`,
    port,
    stats,
    close: () =>
      (closing ??= (async () => {
        api?.stop();
        scheduler.stop();
        gateway?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await broker.close();
      })()),
  };
}
