// The client side of one gateway WebSocket: the Centrifugo JSON protocol's connect handshake,
// subscribe / unsubscribe calls matched to replies by id, pongs to server pings, and publications
// handed to whoever listens on their channel, timestamped the moment the frame arrived.
import type { ConnectionOptions } from "node:tls";
import { WebSocket } from "ws";
import { arrivalMs, nowMs } from "../../clock.js";
import { ErrorClass, type ErrorClassName, RequestFailure, classifyError, httpErrorClass } from "../../errors.js";
import type { ClientCommand, ServerReply } from "./wire.js";

export interface ChannelListener {
  /** One publication's data, as parsed JSON. */
  publication(data: unknown, at: number): void;
  /** The connection is gone; `failure` says how. */
  closed(failure: RequestFailure): void;
}

interface PendingCall {
  resolve(reply: ServerReply): void;
  reject(failure: RequestFailure): void;
}

function closeFailure(code: number, reason: string): RequestFailure {
  return new RequestFailure(ErrorClass.streamAborted, `gateway connection closed (${code}${reason ? ` ${reason}` : ""})`);
}

export class GatewayConnection {
  private readonly calls = new Map<number, PendingCall>();
  private readonly listeners = new Map<string, ChannelListener>();
  private nextId = 1;
  private sendPong = false;
  private closedWith: RequestFailure | null = null;
  /** Called once when the connection ends, for the pool to forget it. */
  onClosed: () => void = () => undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => this.onFrame(data.toString("utf8"), arrivalMs()));
    socket.on("close", (code, reason) => this.end(closeFailure(code, reason.toString("utf8"))));
    socket.on("error", (err) => this.end(new RequestFailure(ErrorClass.streamAborted, `gateway connection failed: ${err.message}`)));
  }

  /**
   * Open the WebSocket and complete the connect handshake. `onOpen` gets the time the WebSocket took
   * to open (TCP + upgrade). Rejects with a classified RequestFailure; `signal` gives up at once
   * (the run was stopped), as `cancelled`.
   */
  static open(url: string, timeoutMs: number, onOpen: (ms: number) => void, token?: string, signal?: AbortSignal, tls: ConnectionOptions = {}): Promise<GatewayConnection> {
    const startedAt = nowMs();
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => fail(ErrorClass.cancelled, "the run was stopped while connecting to the gateway");
      const fail = (errorClass: ErrorClassName, message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        // Ending a socket still connecting makes ws report an error: it is this failure, already told.
        socket.on("error", () => undefined);
        socket.terminate();
        reject(new RequestFailure(errorClass, message));
      };
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, ...tls });
      const timer = setTimeout(() => fail(ErrorClass.timeoutHeaders, `gateway connect exceeded ${timeoutMs} ms`), timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("unexpected-response", (_req, res) => fail(httpErrorClass(res.statusCode ?? 0), `gateway answered the upgrade with HTTP ${res.statusCode}`));
      socket.once("error", (err) => {
        const cls = classifyError(err);
        fail(cls === ErrorClass.other && /handshake has timed out/i.test(err.message) ? ErrorClass.timeoutHeaders : cls, `gateway: ${err.message}`);
      });
      socket.once("close", (code) => fail(ErrorClass.reset, `gateway closed the connection during connect (${code})`));
      socket.once("open", () => {
        onOpen(nowMs() - startedAt);
        const connection = new GatewayConnection(socket);
        connection
          .call({ connect: { name: "tokenstorm", ...(token === undefined ? {} : { token }) } })
          .then((reply) => {
            clearTimeout(timer);
            if (settled) return;
            if (reply.error) return fail(ErrorClass.serverError, `connect rejected: ${reply.error.code} ${reply.error.message}`);
            settled = true;
            signal?.removeEventListener("abort", onAbort);
            socket.removeAllListeners("unexpected-response");
            connection.sendPong = reply.connect?.pong === true;
            resolve(connection);
          })
          .catch((failure: RequestFailure) => {
            clearTimeout(timer);
            fail(failure.errorClass === ErrorClass.streamAborted ? ErrorClass.reset : failure.errorClass, failure.message);
          });
      });
    });
  }

  get open(): boolean {
    return this.closedWith === null;
  }

  /** Subscribe and wait for the reply; rejects with subscribe_rejected or the connection's failure. */
  async subscribe(channel: string, listener: ChannelListener): Promise<void> {
    this.listeners.set(channel, listener);
    const reply = await this.call({ subscribe: { channel } });
    if (reply.error) {
      this.listeners.delete(channel);
      throw new RequestFailure(ErrorClass.subscribeRejected, `subscribe to ${channel} rejected: ${reply.error.code} ${reply.error.message}`);
    }
  }

  /** Stop listening at once; the reply is not awaited (nothing depends on it). */
  unsubscribe(channel: string): void {
    if (!this.listeners.delete(channel) || !this.open) return;
    this.call({ unsubscribe: { channel } }).catch(() => undefined);
  }

  /** Forget a channel without telling the server (its subscribe never completed). */
  forget(channel: string): void {
    this.listeners.delete(channel);
  }

  get channelCount(): number {
    return this.listeners.size;
  }

  close(): void {
    this.end(new RequestFailure(ErrorClass.cancelled, "connection closed by the client"));
    this.socket.terminate();
  }

  private call(command: ClientCommand): Promise<ServerReply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, ...command }));
    });
  }

  private onFrame(frame: string, at: number): void {
    // A frame may carry several replies, one per line.
    let start = 0;
    while (start < frame.length) {
      let end = frame.indexOf("\n", start);
      if (end < 0) end = frame.length;
      if (end > start) this.onReply(frame.slice(start, end), at);
      start = end + 1;
    }
  }

  private onReply(line: string, at: number): void {
    let reply: ServerReply;
    try {
      reply = JSON.parse(line) as ServerReply;
    } catch {
      this.end(new RequestFailure(ErrorClass.malformed, `gateway sent invalid JSON: ${line.slice(0, 80)}`));
      this.socket.terminate();
      return;
    }
    if (reply.id !== undefined && reply.id > 0) {
      const call = this.calls.get(reply.id);
      this.calls.delete(reply.id);
      call?.resolve(reply);
      return;
    }
    const push = reply.push;
    if (!push) {
      // An empty reply is a server ping.
      if (this.sendPong && this.socket.readyState === WebSocket.OPEN) this.socket.send("{}");
      return;
    }
    if (push.pub && push.channel !== undefined) {
      this.listeners.get(push.channel)?.publication(push.pub.data, at);
    } else if (push.disconnect) {
      this.end(closeFailure(push.disconnect.code, push.disconnect.reason));
      this.socket.terminate();
    }
  }

  private end(failure: RequestFailure): void {
    if (this.closedWith) return;
    this.closedWith = failure;
    for (const call of this.calls.values()) call.reject(failure);
    this.calls.clear();
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    for (const listener of listeners) listener.closed(failure);
    this.onClosed();
  }
}
