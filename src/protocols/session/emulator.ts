// The session protocol inside `tokenstorm emulate --session`: the emulator's own HTTP server also
// answers POST /api/run and /api/publish and WebSocket upgrades on /connection/websocket, as one
// node that is API and gateway with an in-process broker — so one emulator serves every protocol
// `run` speaks.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { sendJson } from "../../emulator/http.js";
import type { Handler, Route } from "../../emulator/routes.js";
import { hasApiKey } from "./auth.js";
import { type ApiDefaults, SessionApi } from "./api.js";
import { InProcessBroker } from "./broker.js";
import { DEFAULT_PING_INTERVAL_S } from "./embedded.js";
import { Gateway } from "./gateway.js";
import { handlePublish } from "./node.js";
import { timerScheduler } from "./scheduler.js";
import { PUBLISH_PATH, RUN_PATH, WEBSOCKET_PATH } from "./wire.js";

export interface SessionEndpoint {
  /** The HTTP routes to add to the emulator's. */
  routes: ReadonlyArray<[path: string, route: Route]>;
  /** The WebSocket path it takes upgrades on. */
  upgradePath: string;
  close(): void;
}

/** A handler that answers 401, as a node does, unless the request carries `apiKey` (null: no key asked). */
function keyed(apiKey: string | null, handle: Handler): Handler {
  if (apiKey === null) return handle;
  return (req, res) => (hasApiKey(req, apiKey) ? handle(req, res) : sendJson(res, 401, { error: { code: 101, message: "unauthorized" } }));
}

/**
 * Serves the session protocol on `server`; other upgrade paths are left to other listeners. With an
 * `apiKey`, the run and publish APIs (which start sessions and put tokens into them) take it.
 */
export function attachSession(server: Server, defaults: ApiDefaults, onError: (err: unknown) => void, apiKey: string | null = null): SessionEndpoint {
  const broker = new InProcessBroker();
  const scheduler = timerScheduler();
  const api = new SessionApi(broker, scheduler, defaults, onError);
  const gateway = new Gateway({ broker, pingIntervalS: DEFAULT_PING_INTERVAL_S, onError });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void gateway.handleUpgrade(req, socket, head));
  return {
    upgradePath: WEBSOCKET_PATH,
    routes: [
      [RUN_PATH, { method: "POST", handle: keyed(apiKey, (req, res) => api.handleRun(req, res)) }],
      [PUBLISH_PATH, { method: "POST", handle: keyed(apiKey, (req, res) => handlePublish(req, res, broker)) }],
    ],
    close: () => {
      api.stop();
      scheduler.stop();
      gateway.close();
      void broker.close();
    },
  };
}
