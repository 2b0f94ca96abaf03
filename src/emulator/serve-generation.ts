// One generation request from arrival to its last byte, whatever the protocol: the failure draw,
// admission (run, queue or 429), then streamed or whole delivery on the shared wheel. A client
// that leaves early cancels its schedule and frees its slot or its place in the queue.
import type { ServerResponse } from "node:http";
import { nowMs } from "../clock.js";
import type { Cancellable, GenerationRequest } from "./generation.js";
import { sendError } from "./http.js";
import type { GenerationEnv, Job } from "./job.js";
import type { RequestOverrides } from "./overrides.js";
import { streamTokens } from "./stream.js";
import { pieceSource } from "./text.js";
import { respondWhole } from "./whole-response.js";

export function serveGeneration(
  env: GenerationEnv,
  res: ServerResponse,
  request: GenerationRequest,
  overrides: RequestOverrides,
  receivedAtMs: number,
): void {
  const { options, counters } = env;
  const tokens = request.maxTokens ?? options.length;
  const failure = env.failures.plan(tokens, overrides.fail);
  if (failure.kind === "status") {
    counters.errorsInjected++;
    sendError(res, failure.status, `injected failure: HTTP ${failure.status}`);
    return;
  }

  const ticket = env.admission.enter();
  if (!ticket) {
    counters.rejected++;
    const limits = `maxRunning ${options.maxRunning}, maxWaiting ${options.maxWaiting}`;
    sendError(res, 429, `the emulator is at capacity (${limits})`, { "Retry-After": "1" });
    return;
  }

  const job: Job = {
    tokens,
    finishReason: request.maxTokens === undefined ? "stop" : "length",
    promptTokens: request.promptWords.length,
    ttftMs: overrides.ttftMs ?? options.ttftMs,
    itlMs: overrides.itlMs ?? options.itlMs,
    failure,
    pieces: pieceSource(options.text, request.promptWords, request.leadingSpace),
    receivedAtMs,
  };
  const { delivery } = request;
  if (delivery.kind === "stream") {
    // Headers go out on arrival, as from a server that queues inside its engine: time spent waiting
    // for a slot shows up as time to first token, not as time to headers.
    res.writeHead(200, { "Content-Type": delivery.renderer.contentType, "Cache-Control": "no-cache" });
    res.flushHeaders();
  }

  let ended = false;
  let running: Cancellable | undefined;
  const onEnd = (): void => {
    ended = true;
    ticket.leave();
  };
  res.once("close", () => {
    if (ended) return;
    ended = true;
    running?.cancel();
    ticket.leave();
    counters.clientAborts++;
  });
  // Admitted at once, the generation starts the moment the body was parsed; from the queue, when a slot frees.
  const queued = ticket.waiting;
  ticket.whenAdmitted(() => {
    if (ended) return;
    const admittedAtMs = queued ? nowMs() : receivedAtMs;
    running =
      delivery.kind === "stream"
        ? streamTokens(env, res, job, delivery.renderer, admittedAtMs, onEnd)
        : respondWhole(env, res, job, delivery.render, admittedAtMs, onEnd);
  });
}
