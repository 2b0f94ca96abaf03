// A small loopback HTTP server shared by the live outputs (Prometheus /metrics, the web view): listens
// before the run starts (a taken port is a clear error, not a silent gap in the data) and never keeps
// the process alive on its own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
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

/**
 * Whether a request's Host header names this server as a browser on this machine would: an IP
 * address, `localhost`, or a name the user allowed (`*`: any). A page from another site whose name
 * was rebound to 127.0.0.1 (DNS rebinding) sends its own name, and is turned away.
 */
export function hostAllowed(hostHeader: string | undefined, allowedHosts: readonly string[]): boolean {
  if (allowedHosts.includes("*")) return true;
  if (hostHeader === undefined) return false;
  const name = hostHeader.startsWith("[") ? hostHeader.slice(1, hostHeader.indexOf("]")) : hostHeader.replace(/:\d*$/, "");
  const lower = name.toLowerCase();
  return isIP(lower) !== 0 || lower === "localhost" || allowedHosts.some((allowed) => allowed.toLowerCase() === lower);
}

/**
 * Listen on host:port (0: a free port); `what` names the flag in the error when the port is taken.
 * Requests whose Host is not this machine's (see hostAllowed) get 403.
 */
export async function startLiveServer(what: string, host: string, port: number, handle: RequestHandler, allowedHosts: readonly string[] = []): Promise<LiveServer> {
  const server: Server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      sendText(res, 403, "text/plain; charset=utf-8", `host not allowed: ${JSON.stringify(req.headers.host ?? "")} (run with --allowed-host NAME to serve it)\n`);
      return;
    }
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
