// The emulator side of `realtime`: WebSocket upgrades on /v1/realtime of the emulator's HTTP server,
// one emulated voice agent per connection. Decoding and encoding are the wire module's; timing,
// barge-in and failures are the agent's; this file only joins the socket to the agent.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import type { TimingWheel } from "../../emulator/timing-wheel.js";
import { parseForcedFailure } from "../../emulator/failures.js";
import type { VoiceMetrics } from "../../emulator/metrics.js";
import { VoiceAgent, type ForcedVoiceFailure } from "../../voice/agent.js";
import { VoiceHost } from "../../voice/host.js";
import type { VoiceAgentOptions } from "../../voice/types.js";
import { openAIError } from "../openai/wire.js";
import { decodeClientEvent, encodeServerEvent, REALTIME_PATH, WireError } from "./wire.js";

export interface RealtimeEndpoint {
  readonly host: VoiceHost;
  /** Terminate every open voice connection. */
  close(): void;
}

function serve(socket: WebSocket, host: VoiceHost, metrics: VoiceMetrics, forced: ForcedVoiceFailure | null): void {
  let eventCount = 0;
  const agent = new VoiceAgent(
    host,
    (event) => {
      if (socket.readyState === socket.OPEN) socket.send(encodeServerEvent(event, `evt_${++eventCount}`));
    },
    // An injected drop: the TCP connection goes away without a close frame, as when a server dies.
    () => socket.terminate(),
    metrics,
  );
  if (forced) agent.force(forced);
  socket.on("message", (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      socket.send(encodeServerEvent({ type: "error", code: "invalid_event", message: "binary frames are not part of the protocol: send JSON text events" }, `evt_${++eventCount}`));
      return;
    }
    try {
      agent.handle(decodeClientEvent(data.toString(), agent.config));
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      socket.send(encodeServerEvent({ type: "error", code: err.code, message: err.message }, `evt_${++eventCount}`));
    }
  });
  socket.on("close", () => agent.close());
  socket.on("error", () => agent.close());
}

/**
 * The largest message a client may send, bytes: room for a 15 MiB audio append (the limit of the
 * Realtime API) in its JSON. A larger one closes the connection with 1009 (message too big).
 */
export const MAX_REALTIME_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Answer an upgrade the emulator cannot take with an HTTP error, so that the client is not left waiting. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify(openAIError(status, message));
  socket.on("error", () => undefined);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Serve /v1/realtime on `server`: an upgrade on any path but it and `otherPaths` (served by other
 * upgrade listeners of the same server) is answered 404. Its agents report to `metrics`. The
 * WebSocket server (ws) loads now, or with `onDemand` on the first upgrade to the path: an emulator
 * whose clients only speak HTTP (the embedded emulator of an HTTP run) never loads it.
 */
export async function attachRealtime(server: Server, wheel: TimingWheel, options: VoiceAgentOptions, metrics: VoiceMetrics, otherPaths: readonly string[] = [], onDemand = false): Promise<RealtimeEndpoint> {
  const host = new VoiceHost(options, wheel);
  let wss: WebSocketServer | null = null;
  let loading: Promise<WebSocketServer> | null = null;
  let closed = false;
  const webSocketServer = (): Promise<WebSocketServer> =>
    (loading ??= import("ws").then(({ WebSocketServer }) => (wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_REALTIME_MESSAGE_BYTES }))));
  if (!onDemand) await webSocketServer();
  const sockets = new Set<WebSocket>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (otherPaths.includes(path)) return;
    if (path !== REALTIME_PATH) return refuseUpgrade(socket, 404, "Not Found", `unknown path: WebSocket upgrade on ${path} (the voice agent is on ${REALTIME_PATH})`);
    // x-tokenstorm-fail, as on the HTTP endpoints: a status refuses the upgrade; disconnect, stall
    // and malformed apply to every response of the session.
    const header = req.headers["x-tokenstorm-fail"];
    const forced = typeof header === "string" ? parseForcedFailure(header) : undefined;
    if (forced?.kind === "status") {
      metrics.failureInjected("refused");
      socket.end(`HTTP/1.1 ${forced.status} Injected Failure\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const accept = (upgrader: WebSocketServer): void => {
      if (closed) {
        socket.destroy();
        return;
      }
      upgrader.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on("close", () => sockets.delete(ws));
        if (forced?.kind === "malformed") {
          metrics.failureInjected("malformed");
          ws.send("{not json");
          return;
        }
        serve(ws, host, metrics, forced?.kind === "disconnect" ? "drop" : forced?.kind === "stall" ? "stall" : null);
      });
    };
    if (wss) accept(wss);
    else webSocketServer().then(accept, (err: unknown) => socket.destroy(err instanceof Error ? err : new Error(String(err))));
  });
  return {
    host,
    close: () => {
      closed = true;
      for (const ws of sockets) ws.terminate();
      wss?.close();
    },
  };
}
