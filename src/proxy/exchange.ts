// One request through the proxy: its bytes go upstream unchanged, and every response chunk is
// written to the client the moment undici hands it over (nothing is buffered beyond what the
// client's socket holds; a slow client pauses the upstream read). Each chunk is stamped where it
// arrives and then fed to the protocol's own stream decoder, so the request is measured exactly as
// `run` measures its own requests. A client that goes away aborts the upstream request.
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import { arrivalMs, nowMs } from "../clock.js";
import { ErrorClass, RequestFailure, httpErrorClass } from "../errors.js";
import type { RequestTrace } from "../metrics/trace.js";
import { classifyStreamError, errorMessageOf, type StreamDecoder } from "../protocols/http/stream-driver.js";
import type { DriverOptions, RequestSpec } from "../protocols/types.js";
import { errorBody, type ErrorShape, type ProxyRoute } from "./routes.js";

/** Connection-level headers that describe one hop and must not be forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"]);

const ERROR_BODY_LIMIT = 2048;

export function forwardedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** Send one of the proxy's own error answers (queue full, upstream unreachable) in the route's shape. */
export function sendProxyError(res: ServerResponse, shape: ErrorShape, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = errorBody(shape, status, message);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export interface ExchangeInputs {
  res: ServerResponse;
  /** Null for requests outside the measured routes: passed through, not measured. */
  trace: RequestTrace | null;
  route: ProxyRoute | null;
  spec: RequestSpec;
  decoderOptions: DriverOptions;
  /** Called once when the exchange has ended one way or another. */
  done(exchange: ProxyExchange): void;
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private decoder: StreamDecoder | null = null;
  private status = 0;
  private errorText = "";
  private settled = false;
  private waitingForDrain = false;
  private readonly res: ServerResponse;
  readonly trace: RequestTrace | null;

  constructor(private readonly inputs: ExchangeInputs) {
    this.res = inputs.res;
    this.trace = inputs.trace;
  }

  get ended(): boolean {
    return this.settled;
  }

  /** Right before undici writes the request upstream: the moment latencies are measured from. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) {
      controller.abort(new RequestFailure(ErrorClass.cancelled, "client disconnected"));
      return;
    }
    this.trace?.sent(nowMs());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const at = arrivalMs();
    this.status = statusCode;
    this.trace?.headers(at, statusCode);
    if (this.settled) return;
    // The upstream's reason phrase when it sent one, else Node's standard one.
    this.res.writeHead(statusCode, statusMessage || undefined, forwardedHeaders(headers));
    // Headers go out now, not with the first body chunk: the client's TTFB is the upstream's.
    this.res.flushHeaders();
    if (this.trace === null || statusCode < 200 || statusCode >= 300) return;
    const contentType = String(headers["content-type"] ?? "");
    const protocol = this.inputs.route?.protocolFor(contentType) ?? null;
    this.decoder = protocol?.decoder(this.trace, this.inputs.spec, this.inputs.decoderOptions) ?? null;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const at = arrivalMs();
    if (this.settled) return;
    // Forward first, measure after: the client's copy leaves before any decoding work.
    if (!this.res.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      controller.pause();
      this.res.once("drain", () => {
        this.waitingForDrain = false;
        controller.resume();
      });
    }
    const trace = this.trace;
    if (trace === null) return;
    trace.lastActivityAt = at;
    if (this.decoder !== null) {
      try {
        this.decoder.push(chunk, at);
      } catch (err) {
        // A payload the decoder cannot read is recorded; the client still gets every byte.
        this.recordFailure(err);
        this.decoder = null;
      }
    } else if ((this.status < 200 || this.status >= 300) && this.errorText.length < ERROR_BODY_LIMIT) {
      this.errorText += chunk.toString("utf8");
    }
  }

  onResponseEnd(): void {
    const at = arrivalMs();
    if (this.settled) return;
    this.res.end();
    const trace = this.trace;
    if (trace !== null) {
      if (this.status < 200 || this.status >= 300) trace.fail(httpErrorClass(this.status), errorMessageOf(this.status, this.errorText));
      else if (this.decoder !== null) {
        try {
          this.decoder.end(at);
        } catch (err) {
          this.recordFailure(err);
        }
      }
    }
    this.settle(at);
  }

  /** The upstream request failed (refused, reset, timed out): the client hears of it as it happened. */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.upstreamFailed(error);
  }

  /** Also when the request could not even be dispatched. */
  upstreamFailed(error: Error): void {
    if (this.settled) return;
    const at = nowMs();
    const errorClass = classifyStreamError(error, this.status > 0);
    this.trace?.fail(errorClass, error.message || String(error));
    if (!this.res.headersSent) {
      sendProxyError(this.res, this.inputs.route?.errorShape ?? "openai", 502, `upstream request failed (${errorClass}): ${error.message}`);
    } else {
      // The stream broke mid-way upstream: break it for the client too, rather than end it cleanly.
      this.res.destroy();
    }
    this.settle(at);
  }

  /** The client went away (or the proxy is stopping): end the upstream request too. */
  cancel(message: string): void {
    if (this.settled) return;
    this.trace?.fail(ErrorClass.cancelled, message);
    this.settle(nowMs());
    this.controller?.abort(new RequestFailure(ErrorClass.cancelled, message));
    if (!this.res.writableEnded) this.res.destroy();
  }

  private recordFailure(err: unknown): void {
    const failure = err instanceof RequestFailure ? err : new RequestFailure(ErrorClass.malformed, String(err));
    this.trace?.fail(failure.errorClass, failure.message);
  }

  private settle(at: number): void {
    this.settled = true;
    if (this.trace !== null) this.trace.endAt = at;
    this.inputs.done(this);
  }
}
