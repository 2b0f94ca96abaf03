// The WebSocket gateway: speaks the Centrifugo client protocol (JSON, v2) on /connection/websocket
// so that the official centrifuge SDK and our driver both connect, subscribe and receive
// publications. It holds the sockets only; what to deliver comes from the broker, which it joins
// per channel while at least one local client is subscribed.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { VERSION } from "../../version.js";
import { type Broker, decodeBrokerMessage } from "./broker.js";
import { verifyConnectionToken } from "./auth.js";
import { type ClientCommand, DisconnectCode, ReplyErrorCode, type ServerReply, WEBSOCKET_PATH } from "./wire.js";

export interface GatewayOptions {
  broker: Broker;
  /** Seconds between server pings (Centrifugo's default is 25). */
  pingIntervalS: number;
  /** HS256 secret connection tokens must be signed with; null: no token needed. */
  tokenSecret?: string | null;
  onError(err: unknown): void;
}

export interface GatewayStats {
  connections: number;
  connectionsTotal: number;
  subscriptions: number;
  channels: number;
  publicationsDelivered: number;
  disconnectsForced: number;
}

const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * Channels one connection may be subscribed to at once (Centrifugo's default client channel limit);
 * one more is refused with error 106, limit exceeded. A session client holds one at a time.
 */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 128;
/** The longest channel name, characters (Centrifugo's default); a longer one is a bad request. */
export const MAX_CHANNEL_LENGTH = 255;
const PING_FRAME = "{}";

class GatewayClient {
  readonly id = randomUUID();
  connected = false;
  readonly channels = new Set<string>();
  lastSeenAt = Date.now();

  constructor(readonly socket: WebSocket) {}

  reply(reply: ServerReply): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(reply));
  }
}

interface ChannelState {
  clients: Set<GatewayClient>;
  /** The channel name as a JSON string, ready to splice into push frames. */
  channelJson: string;
  /** Resolves once the broker delivers this channel to us. */
  joined: Promise<void>;
}

export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
  private readonly clients = new Set<GatewayClient>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly pinger: NodeJS.Timeout;
  private connectionsTotal = 0;
  private publicationsDelivered = 0;
  private disconnectsForced = 0;

  constructor(private readonly options: GatewayOptions) {
    this.pinger = setInterval(() => this.pingAll(), options.pingIntervalS * 1000);
    this.pinger.unref();
  }

  /** Take over an HTTP upgrade on the gateway path; false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? "/", "http://gateway").pathname !== WEBSOCKET_PATH) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  stats(): GatewayStats {
    let subscriptions = 0;
    for (const state of this.channels.values()) subscriptions += state.clients.size;
    return {
      connections: this.clients.size,
      connectionsTotal: this.connectionsTotal,
      subscriptions,
      channels: this.channels.size,
      publicationsDelivered: this.publicationsDelivered,
      disconnectsForced: this.disconnectsForced,
    };
  }

  /** Close every client with Centrifugo's shutdown code (they reconnect elsewhere). */
  close(): void {
    clearInterval(this.pinger);
    for (const client of this.clients) client.socket.close(DisconnectCode.shutdown, "shutdown");
    for (const client of this.clients) client.socket.terminate();
    this.wss.close();
  }

  private accept(socket: WebSocket): void {
    const client = new GatewayClient(socket);
    this.clients.add(client);
    this.connectionsTotal++;
    socket.on("message", (data, isBinary) => {
      client.lastSeenAt = Date.now();
      if (isBinary) return this.reject(client, "binary frames need the protobuf protocol, which this gateway does not speak");
      this.onFrame(client, (data as Buffer).toString("utf8"));
    });
    socket.on("close", () => this.drop(client));
    socket.on("error", () => this.drop(client));
  }

  private onFrame(client: GatewayClient, frame: string): void {
    for (const line of frame.split("\n")) {
      if (line.trim() === "") continue;
      let command: ClientCommand;
      try {
        command = JSON.parse(line) as ClientCommand;
      } catch {
        return this.reject(client, "invalid JSON command");
      }
      if (typeof command !== "object" || command === null) return this.reject(client, "a command must be a JSON object");
      this.onCommand(client, command);
    }
  }

  private onCommand(client: GatewayClient, command: ClientCommand): void {
    const id = command.id;
    // An empty command (no id, no method) is the pong to our ping.
    if (id === undefined) return;
    if (command.connect !== undefined) {
      if (this.options.tokenSecret) {
        const check = verifyConnectionToken(command.connect?.token, this.options.tokenSecret);
        // As Centrifugo: an expired token is an error the client may refresh; a bad one ends the connection.
        if (!check.ok && check.expired) return client.reply({ id, error: { code: ReplyErrorCode.tokenExpired, message: "token expired" } });
        if (!check.ok) return void client.socket.close(DisconnectCode.invalidToken, "invalid token");
      }
      client.connected = true;
      client.reply({ id, connect: { client: client.id, version: VERSION, ping: this.options.pingIntervalS, pong: true } });
      return;
    }
    if (!client.connected) return this.reject(client, "first command must be connect");
    if (command.subscribe !== undefined) return void this.subscribe(client, id, command.subscribe.channel);
    if (command.unsubscribe !== undefined) {
      this.leave(client, command.unsubscribe.channel);
      client.reply({ id, unsubscribe: {} });
      return;
    }
    if (command["publish"] !== undefined) {
      client.reply({ id, error: { code: ReplyErrorCode.permissionDenied, message: "permission denied" } });
      return;
    }
    client.reply({ id, error: { code: ReplyErrorCode.methodNotFound, message: "method not found" } });
  }

  private async subscribe(client: GatewayClient, id: number, channel: unknown): Promise<void> {
    if (typeof channel !== "string" || channel === "" || channel.length > MAX_CHANNEL_LENGTH) {
      client.reply({ id, error: { code: ReplyErrorCode.badRequest, message: "bad request" } });
      return;
    }
    if (client.channels.has(channel)) {
      client.reply({ id, error: { code: ReplyErrorCode.alreadySubscribed, message: "already subscribed" } });
      return;
    }
    if (client.channels.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      client.reply({ id, error: { code: ReplyErrorCode.limitExceeded, message: "limit exceeded" } });
      return;
    }
    let state = this.channels.get(channel);
    if (!state) {
      state = {
        clients: new Set(),
        channelJson: JSON.stringify(channel),
        joined: this.options.broker.subscribe(channel, (message) => this.deliver(channel, message)),
      };
      this.channels.set(channel, state);
    }
    state.clients.add(client);
    client.channels.add(channel);
    try {
      await state.joined;
    } catch (err) {
      this.options.onError(err);
      this.leave(client, channel);
      client.reply({ id, error: { code: ReplyErrorCode.internal, message: "internal server error", temporary: true } });
      return;
    }
    // The reply goes out only once publications are sure to arrive: the client's POST may follow at once.
    if (client.channels.has(channel)) client.reply({ id, subscribe: {} });
  }

  private leave(client: GatewayClient, channel: string): void {
    client.channels.delete(channel);
    const state = this.channels.get(channel);
    if (!state) return;
    state.clients.delete(client);
    if (state.clients.size > 0) return;
    this.channels.delete(channel);
    void state.joined
      .then(() => this.options.broker.unsubscribe(channel))
      .catch(() => undefined);
  }

  private deliver(channel: string, message: string): void {
    const state = this.channels.get(channel);
    if (!state) return;
    const decoded = decodeBrokerMessage(message);
    if (!decoded) return;
    if (decoded.kind === "disconnect") {
      for (const client of state.clients) {
        this.disconnectsForced++;
        client.socket.close(decoded.code, decoded.reason);
        // A forced disconnect is abrupt, as a crashing node would be.
        client.socket.terminate();
      }
      return;
    }
    const frame = `{"push":{"channel":${state.channelJson},"pub":{"data":${decoded.dataJson}}}}`;
    for (const client of state.clients) {
      if (client.socket.readyState !== client.socket.OPEN) continue;
      client.socket.send(frame);
      this.publicationsDelivered++;
    }
  }

  private reject(client: GatewayClient, reason: string): void {
    client.socket.close(DisconnectCode.badRequest, reason.slice(0, 120));
  }

  private drop(client: GatewayClient): void {
    if (!this.clients.delete(client)) return;
    for (const channel of [...client.channels]) this.leave(client, channel);
  }

  private pingAll(): void {
    // A client silent for two ping intervals answers no pongs: it is gone.
    const deadline = Date.now() - 2 * this.options.pingIntervalS * 1000 - 5_000;
    for (const client of this.clients) {
      if (!client.connected) continue;
      if (client.lastSeenAt < deadline) {
        client.socket.close(DisconnectCode.noPong, "no pong");
        continue;
      }
      if (client.socket.readyState === client.socket.OPEN) client.socket.send(PING_FRAME);
    }
  }
}
