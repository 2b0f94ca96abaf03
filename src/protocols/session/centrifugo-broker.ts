// Publishing through Centrifugo's server HTTP API (POST /api/publish with X-API-Key), so that a real
// Centrifugo cluster can be the gateway. One HTTP call per token; calls of one channel are chained
// so its tokens keep their order whatever connection each call takes. Publish only: Centrifugo
// itself delivers to the WebSockets.
import { Agent, request } from "undici";
import type { Broker } from "./broker.js";
import { decodeBrokerMessage } from "./broker.js";
import { API_KEY_HEADER, PUBLISH_PATH } from "./wire.js";

export class CentrifugoHttpBroker implements Broker {
  readonly name = "centrifugo";

  /** Each publish is its own HTTP request: nothing to lose between them. */
  ready(): boolean {
    return true;
  }
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  private readonly chains = new Map<string, Promise<void>>();
  private readonly url: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string | null,
  ) {
    this.url = new URL(PUBLISH_PATH, baseUrl).toString();
  }

  publish(channel: string, message: string): Promise<void> {
    const decoded = decodeBrokerMessage(message);
    // Centrifugo has no per-channel disconnect; failure injection other than tokens is not relayed.
    if (decoded?.kind !== "pub") return Promise.resolve();
    const body = `{"channel":${JSON.stringify(channel)},"data":${decoded.dataJson}}`;
    const previous = this.chains.get(channel) ?? Promise.resolve();
    const next = previous.then(() => this.post(body));
    const tail = next.catch(() => undefined);
    this.chains.set(channel, tail);
    void tail.then(() => {
      if (this.chains.get(channel) === tail) this.chains.delete(channel);
    });
    return next;
  }

  private async post(body: string): Promise<void> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.apiKey !== null) headers[API_KEY_HEADER] = this.apiKey;
    const response = await request(this.url, { method: "POST", headers, body, dispatcher: this.agent });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`centrifugo publish: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const reply = JSON.parse(text) as { error?: { code: number; message: string } };
    if (reply.error) throw new Error(`centrifugo publish: error ${reply.error.code}: ${reply.error.message}`);
  }

  subscribe(): Promise<void> {
    return Promise.reject(new Error("the centrifugo broker only publishes: Centrifugo is the gateway"));
  }

  unsubscribe(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
