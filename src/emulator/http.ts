// HTTP plumbing shared by every emulator route: reading a JSON body, writing JSON, and errors in the
// OpenAI error shape (what clients of the OpenAI, Ollama and NDJSON paths expect) or a route's own.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { openAIError } from "../protocols/openai/wire.js";
import type { ErrorBodyShape } from "./generation.js";

/** Request bodies are prompts; anything larger is a client bug, not a load test. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A request the emulator refuses; the server answers with this status and message. */
export class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
    this.name = "InvalidRequest";
  }
}

/**
 * The request's body as JSON. Read with 'data' and 'end' listeners rather than an async iterator,
 * which cost about a tenth of a small request's CPU here. A body past MAX_BODY_BYTES is not read
 * further: the request is destroyed (its connection with it) and the answer is a 413.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded || req.destroyed) {
      reject(req.destroyed ? new Error("the request closed before its body was read") : new InvalidRequest("request body must be a JSON object"));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      done();
      req.destroy();
      reject(new InvalidRequest(`request body exceeds ${MAX_BODY_BYTES} bytes`, 413));
    };
    const onEnd = (): void => {
      done();
      if (size === 0) {
        reject(new InvalidRequest("request body must be a JSON object"));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString("utf8")) as unknown);
      } catch (err) {
        reject(new InvalidRequest(`request body is not valid JSON: ${(err as Error).message}`));
      }
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onClose = (): void => {
      done();
      reject(new Error("the request closed before its body ended"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

export function sendJsonText(res: ServerResponse, status: number, json: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(json),
  });
  res.end(json);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** An error answer, in OpenAI's shape unless the protocol has its own (Anthropic's on /v1/messages). */
export function sendError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}, shape: ErrorBodyShape = openAIError): void {
  sendJson(res, status, shape(status, message), headers);
}
