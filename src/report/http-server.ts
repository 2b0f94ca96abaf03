// A small loopback HTTP server shared by the live outputs (Prometheus /metrics, the web view): listens
// before the run starts (a taken port is a clear error, not a silent gap in the data) and never keeps
// the process alive on its own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RunError } from "../errors.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => void;

export interface LiveServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendNotFound(res: ServerResponse, path: string): void {
  sendText(res, 404, "text/plain; charset=utf-8", `not found: ${path}\n`);
}

/** After a run: keep serving the final figures for `seconds`, then stop. */
export async function lingerThenClose(server: LiveServer, seconds: number): Promise<void> {
  if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await server.close();
}

/** Listen on host:port (0: a free port); `what` names the flag in the error when the port is taken. */
export async function startLiveServer(what: string, host: string, port: number, handle: RequestHandler): Promise<LiveServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET" }).end();
      return;
    }
    try {
      handle(req, res, url.pathname, url.searchParams);
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, "text/plain; charset=utf-8", `${(err as Error).message}\n`);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new RunError(`${what}: cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen({ host, port }, () => resolve());
  });
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(host, bound),
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
