// Gateway connections of one driver. A client keeps its own WebSocket from cycle to cycle, as seed
// 000's clients do; a request of a client without one takes any idle connection before opening a
// new one, so open-model arrivals (a new client index each) reuse sockets, and the number of
// connections follows the concurrency actually reached. Idle connections beyond the cap are closed.
import type { ConnectionOptions } from "node:tls";
import { GatewayConnection } from "./connection.js";

export class ConnectionPool {
  private readonly idle = new Map<number, GatewayConnection>();
  private readonly owned = new Map<GatewayConnection, number>();
  private readonly all = new Set<GatewayConnection>();
  /** Gives up connections still opening when the pool closes (the run was stopped). */
  private readonly closing = new AbortController();

  constructor(
    private readonly url: string,
    private readonly connectTimeoutMs: number,
    private readonly maxIdle: number,
    private readonly onConnect: (ms: number | null) => void,
    /** The connection token each new connection sends, when the gateway wants one. */
    private readonly token?: () => string,
    /** CA, client certificate and verification for a wss:// gateway. */
    private readonly tls: ConnectionOptions = {},
  ) {}

  async acquire(client: number): Promise<GatewayConnection> {
    const own = this.idle.get(client);
    if (own) {
      this.idle.delete(client);
      return own;
    }
    for (const [owner, connection] of this.idle) {
      this.idle.delete(owner);
      this.owned.set(connection, client);
      return connection;
    }
    let connection: GatewayConnection;
    try {
      connection = await GatewayConnection.open(this.url, this.connectTimeoutMs, (ms) => this.onConnect(ms), this.token?.(), this.closing.signal, this.tls);
    } catch (err) {
      this.onConnect(null);
      throw err;
    }
    this.all.add(connection);
    this.owned.set(connection, client);
    connection.onClosed = () => this.forget(connection);
    return connection;
  }

  release(client: number, connection: GatewayConnection): void {
    if (!connection.open) return;
    if (this.idle.size >= this.maxIdle && !this.idle.has(client)) {
      connection.close();
      return;
    }
    const previous = this.idle.get(client);
    if (previous && previous !== connection) previous.close();
    this.idle.set(client, connection);
  }

  closeAll(): void {
    this.closing.abort();
    for (const connection of [...this.all]) connection.close();
    this.idle.clear();
  }

  private forget(connection: GatewayConnection): void {
    this.all.delete(connection);
    const owner = this.owned.get(connection);
    this.owned.delete(connection);
    if (owner !== undefined && this.idle.get(owner) === connection) this.idle.delete(owner);
  }
}
