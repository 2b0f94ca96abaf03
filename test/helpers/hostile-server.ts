// A misbehaving HTTP server on 127.0.0.1 for the hardening tests: each mode answers (or fails to
// answer) a streaming request the way a broken server, proxy or network would. It speaks raw TCP
// so that it can do what no well-behaved HTTP library allows: reset mid-stream, close after a
// response it said nothing about, answer half a header, never answer at all.
import { createServer, type Server, type Socket } from "node:net";

export type HostileMode =
  /** Accepts and never says a word. */
  | "silent"
  /** Closes each connection as soon as the request arrives. */
  | "close-at-once"
  /** Resets each connection as soon as the request arrives. */
  | "reset-at-once"
  /** Answers with bytes that are not HTTP. */
  | "garbage"
  /** Sends 200 headers of a stream, then nothing. */
  | "headers-then-silence"
  /** A chunked SSE stream of a few tokens, then a TCP reset. */
  | "reset-mid-stream"
  /** An SSE stream of a few tokens delimited by the connection's close, then a TCP reset. */
  | "reset-mid-close-delimited"
  /** A chunked SSE stream of a few tokens, then a clean close without the last chunk. */
  | "close-mid-chunked"
  /** A whole SSE response with Content-Length (and no `Connection: close`), then the server closes. */
  | "close-after-each"
  /** A whole SSE response, then at once, before any next request, a 503 with `Connection: close`. */
  | "503-unasked"
  /** The first request on a connection gets a whole SSE response; the next one a 503, and the reset. */
  | "503-on-reuse"
  /** The first request on a connection gets a whole SSE response; the next one half a 503, and a reset. */
  | "half-503-on-reuse"
  /** An SSE stream whose first event is one line of `lineBytes` bytes, sent in 64 KiB chunks. */
  | "long-sse-line"
  /** An NDJSON stream whose first line is `lineBytes` bytes long, sent in 64 KiB chunks. */
  | "long-ndjson-line"
  /** A 200 SSE stream whose events are not JSON. */
  | "invalid-json"
  /** 500 with an OpenAI-shaped JSON error. */
  | "error-500";

export interface HostileServer {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const SSE_TOKENS = 5;

function sseEvent(text: string): string {
  return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
}

/** A whole, correct SSE body of SSE_TOKENS tokens and [DONE]. */
export function wholeSseBody(): string {
  let body = "";
  for (let i = 0; i < SSE_TOKENS; i++) body += sseEvent(`t${i} `);
  return body + "data: [DONE]\n\n";
}

function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

const STREAM_HEADERS = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

/** Calls `onRequest` once per request head read on the socket (bodies are short JSON, read whole). */
function onRequests(socket: Socket, onRequest: (index: number) => void): void {
  let buffered = "";
  let index = 0;
  socket.on("data", (data: Buffer) => {
    buffered += data.toString("latin1");
    for (;;) {
      const headEnd = buffered.indexOf("\r\n\r\n");
      if (headEnd === -1) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      buffered = buffered.slice(headEnd + 4 + length);
      onRequest(index++);
    }
  });
}

/** Write `total` bytes of `fill` in 64 KiB pieces, each after the last one drained. */
function writeLong(socket: Socket, prefix: string, total: number, fill: string, wrap: (piece: string) => string): void {
  const pieceSize = 64 * 1024;
  let sent = 0;
  const next = (): void => {
    while (sent < total && !socket.destroyed) {
      const size = Math.min(pieceSize, total - sent);
      const piece = (sent === 0 ? prefix : "") + fill.repeat(size);
      sent += size;
      if (!socket.write(wrap(piece))) {
        socket.once("drain", next);
        return;
      }
    }
  };
  next();
}

export async function startHostileServer(mode: HostileMode, options: { lineBytes?: number } = {}): Promise<HostileServer> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const lineBytes = options.lineBytes ?? 16 * 1024 * 1024;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onRequests(socket, (index) => {
      switch (mode) {
        case "silent":
          return;
        case "close-at-once":
          socket.end();
          return;
        case "reset-at-once":
          socket.resetAndDestroy();
          return;
        case "garbage":
          socket.end("SSH-2.0-OpenSSH_9.6\r\n\0\0\0garbage\r\n\r\n");
          return;
        case "headers-then-silence":
          socket.write(STREAM_HEADERS);
          return;
        case "reset-mid-close-delimited":
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" + sseEvent("a ") + sseEvent("b "));
          setTimeout(() => socket.resetAndDestroy(), 50);
          return;
        case "reset-mid-stream":
        case "close-mid-chunked": {
          socket.write(STREAM_HEADERS + chunk(sseEvent("a ")) + chunk(sseEvent("b ")));
          // Let the client read the first tokens before the connection goes.
          setTimeout(() => (mode === "reset-mid-stream" ? socket.resetAndDestroy() : socket.end()), 50);
          return;
        }
        case "close-after-each": {
          const body = wholeSseBody();
          socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          return;
        }
        case "503-unasked": {
          const body = wholeSseBody();
          const busy = JSON.stringify({ error: { message: "overloaded" } });
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          setTimeout(
            () => socket.end(`HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${busy.length}\r\n\r\n${busy}`),
            5,
          );
          return;
        }
        case "half-503-on-reuse": {
          if (index === 0) {
            const body = wholeSseBody();
            socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          } else {
            socket.write(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"error":`);
            setTimeout(() => socket.resetAndDestroy(), 20);
          }
          return;
        }
        case "503-on-reuse": {
          if (index === 0) {
            const body = wholeSseBody();
            socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          } else {
            const body = JSON.stringify({ error: { message: "overloaded" } });
            socket.write(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
            socket.resetAndDestroy();
          }
          return;
        }
        case "long-sse-line":
          socket.write(STREAM_HEADERS);
          writeLong(socket, 'data: {"choices":[{"index":0,"delta":{"content":"', lineBytes, "x", chunk);
          return;
        case "long-ndjson-line":
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n");
          writeLong(socket, '{"model":"m","response":"', lineBytes, "x", chunk);
          return;
        case "invalid-json":
          socket.end(STREAM_HEADERS + chunk("data: {not json\n\n") + "0\r\n\r\n");
          return;
        case "error-500": {
          const body = JSON.stringify({ error: { message: "boom" } });
          socket.write(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
