// A proxy in front of a server under test that forwards every request and keeps each exchange: the
// request's headers and JSON body, and the response's bytes as they streamed (tests check what a
// run sent and what it was answered, byte for byte).
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before } from "node:test";

export interface Exchange {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The response bytes as the emulator streamed them. */
  response: string;
}

/** A proxy in front of the emulator that forwards everything and records each exchange. */
export function recordingProxyForSuite(upstream: () => string): { url: () => string; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  let server: Server | undefined;
  before(async () => {
    server = createServer((req, res) => {
      const body: Buffer[] = [];
      req.on("data", (chunk: Buffer) => body.push(chunk));
      req.on("end", () => {
        const sent = Buffer.concat(body);
        const target = new URL(req.url!, upstream());
        const forwarded = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          const streamed: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => {
            streamed.push(chunk);
            res.write(chunk);
          });
          answer.on("end", () => {
            exchanges.push({ headers: req.headers, body: JSON.parse(sent.toString("utf8")) as Record<string, unknown>, response: Buffer.concat(streamed).toString("utf8") });
            res.end();
          });
        });
        forwarded.end(sent);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return { url: () => `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, exchanges };
}

