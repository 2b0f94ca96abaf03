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

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new InvalidRequest(`request body exceeds ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk);
  }
  if (size === 0) throw new InvalidRequest("request body must be a JSON object");
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString("utf8")) as unknown;
  } catch (err) {
    throw new InvalidRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
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
