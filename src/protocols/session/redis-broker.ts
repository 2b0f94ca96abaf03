// Redis pub/sub between nodes: any API node reaches any gateway node. Publishing uses one
// connection; subscribing needs a dedicated one, because a Redis connection in subscribe mode
// accepts no other commands. Both reconnect on their own; errors are reported, never thrown.
import { createClient } from "redis";
import type { Broker, BrokerListener } from "./broker.js";

type RedisClient = ReturnType<typeof createClient>;

export class RedisBroker implements Broker {
  readonly name = "redis";

  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient | null,
  ) {}

  /** Connect to `url`; `subscribe` opens the subscriber connection too (gateway nodes). */
  static async connect(url: string, options: { subscribe: boolean; onError(err: Error): void }): Promise<RedisBroker> {
    const publisher = createClient({ url, socket: { connectTimeout: 5_000 } });
    publisher.on("error", options.onError);
    await publisher.connect();
    let subscriber: RedisClient | null = null;
    if (options.subscribe) {
      subscriber = publisher.duplicate();
      subscriber.on("error", options.onError);
      await subscriber.connect();
    }
    return new RedisBroker(publisher, subscriber);
  }

  /** Both connections up (they reconnect on their own when Redis comes back). */
  ready(): boolean {
    return this.publisher.isReady && (this.subscriber?.isReady ?? true);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, listener: BrokerListener): Promise<void> {
    if (!this.subscriber) throw new Error("this node has no Redis subscriber connection");
    // Resolves when Redis has confirmed the SUBSCRIBE: later publishes reach us.
    await this.subscriber.subscribe(channel, (message) => listener(message));
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.subscriber?.unsubscribe(channel);
  }

  async close(): Promise<void> {
    this.subscriber?.destroy();
    this.publisher.destroy();
    return Promise.resolve();
  }
}
