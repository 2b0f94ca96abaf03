// The link between API nodes (publishers) and gateway nodes (which hold the WebSockets). A broker
// carries opaque strings per channel: "p" + the publication's data as JSON, or "d" + a disconnect
// order (failure injection). Gateways subscribe to a channel when its first local client does, and
// the subscribe resolves only once later publishes are sure to reach them, so no token is lost to
// a race between a client's subscribe and its POST /api/run.

export type BrokerListener = (message: string) => void;

export interface Broker {
  readonly name: string;
  /** Whether publishes reach the other nodes now (a node's /health says so, and it refuses runs while not). */
  ready(): boolean;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: BrokerListener): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

const PUBLICATION = "p";
const DISCONNECT = "d";

export function publicationMessage(dataJson: string): string {
  return PUBLICATION + dataJson;
}

export function disconnectMessage(code: number, reason: string): string {
  return DISCONNECT + JSON.stringify({ code, reason });
}

export type BrokerMessage = { kind: "pub"; dataJson: string } | { kind: "disconnect"; code: number; reason: string };

export function decodeBrokerMessage(message: string): BrokerMessage | null {
  if (message.startsWith(PUBLICATION)) return { kind: "pub", dataJson: message.slice(1) };
  if (message.startsWith(DISCONNECT)) {
    try {
      const order = JSON.parse(message.slice(1)) as { code?: unknown; reason?: unknown };
      return { kind: "disconnect", code: Number(order.code) || 3000, reason: String(order.reason ?? "") };
    } catch {
      return null;
    }
  }
  return null;
}

/** One process is both API and gateway: a publish is a synchronous call into the gateway. */
export class InProcessBroker implements Broker {
  readonly name = "in-process";
  private readonly listeners = new Map<string, BrokerListener>();

  ready(): boolean {
    return true;
  }

  publish(channel: string, message: string): Promise<void> {
    this.listeners.get(channel)?.(message);
    return Promise.resolve();
  }

  subscribe(channel: string, listener: BrokerListener): Promise<void> {
    this.listeners.set(channel, listener);
    return Promise.resolve();
  }

  unsubscribe(channel: string): Promise<void> {
    this.listeners.delete(channel);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}
