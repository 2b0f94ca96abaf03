// One generation request from arrival to its last byte, whatever the protocol: the failure draw,
// admission (run, queue or 429), then streamed or whole delivery on the shared wheel. A client
// that leaves early cancels its schedule and frees its slot or its place in the queue.
import type { ServerResponse } from "node:http";
import { nowMs } from "../clock.js";
import type { Cancellable, Delivery, GenerationRequest, ToolCall } from "./generation.js";
import { InvalidRequest, sendError } from "./http.js";
import type { Ticket } from "./admission.js";
import type { FailurePlan } from "./failures.js";
import type { GenerationEnv, Job } from "./job.js";
import type { RequestOverrides } from "./overrides.js";
import { streamTokens } from "./stream.js";
import { pieceSource } from "./text.js";
import { toolCallFor, toolCallTokens } from "./tool-call.js";
import { respondWhole } from "./whole-response.js";

export function serveGeneration(
  env: GenerationEnv,
  res: ServerResponse,
  request: GenerationRequest,
  overrides: RequestOverrides,
  receivedAtMs: number,
): void {
  const { options, counters } = env;
  const shape = shapeOf(env, request, overrides);
  const { tokens } = shape;
  const promptTokens = promptTokensOf(env, request);
  if (tokens > options.maxRequestTokens) {
    const asked = shape.reasoningTokens > 0 ? `${tokens - shape.reasoningTokens} and ${shape.reasoningTokens} reasoning tokens` : `${tokens}`;
    throw new InvalidRequest(`max_tokens ${asked} exceeds this emulator's limit of ${options.maxRequestTokens} tokens per request (--max-request-tokens)`);
  }
  // With a KV cache, a request holds its prompt and its whole output while it runs.
  const kvTokens = options.kvCacheTokens > 0 ? promptTokens.length + tokens : 0;
  if (kvTokens > options.kvCacheTokens && options.kvCacheTokens > 0) {
    throw new InvalidRequest(`prompt and max_tokens need ${kvTokens} tokens of KV cache; this emulator holds ${options.kvCacheTokens} (--kv-cache-tokens)`);
  }
  const failure = env.failures.plan(tokens, overrides.fail);
  if (failure.kind === "status") {
    counters.errorsInjected++;
    sendError(res, failure.status, `injected failure: HTTP ${failure.status}`, {}, request.errorBody);
    return;
  }

  const entered = env.admission.enter(kvTokens);
  if (entered instanceof Promise) {
    // A fleet's shared admission answers from the primary; the client may be gone by then.
    void entered.then((ticket) => {
      if (res.destroyed) ticket?.leave();
      else admitted(env, res, request, promptTokens, overrides, receivedAtMs, shape, failure, ticket);
    });
    return;
  }
  admitted(env, res, request, promptTokens, overrides, receivedAtMs, shape, failure, entered);
}

/**
 * The prompt's tokens as this emulator counts them: its words, or with --tokenizer that tokenizer's
 * ids of each text as sent, whitespace and line breaks included (as strings: the prefix cache hashes
 * them in blocks).
 */
function promptTokensOf(env: GenerationEnv, request: GenerationRequest): readonly string[] {
  const { tokenizer } = env;
  if (tokenizer === undefined || request.fixedPromptTokens === true) return request.promptWords;
  const ids = request.promptTexts.flatMap((text) => tokenizer.encode(text)).map(String);
  request.promptCounted?.(ids.length);
  return ids;
}

/** What one request generates: its reasoning, then its answer (content tokens, or a tool call). */
interface GenerationShape {
  tokens: number;
  reasoningTokens: number;
  toolCall: ToolCall | undefined;
}

/** Whether the request's delivery can carry reasoning (a renderer without a place for it gets none). */
function takesReasoning(delivery: Delivery): boolean {
  return delivery.kind === "stream" ? delivery.renderer.reasoning !== undefined : delivery.reasoning === true;
}

function shapeOf(env: GenerationEnv, request: GenerationRequest, overrides: RequestOverrides): GenerationShape {
  const { options } = env;
  const reasoningTokens = takesReasoning(request.delivery) ? (overrides.reasoningTokens ?? options.reasoningTokens) : 0;
  const offer = request.toolOffer;
  // The draw is taken only for requests offering tools, so other traffic does not shift the sequence.
  const calls = offer !== undefined && (overrides.toolCall ?? (options.toolCallRate > 0 && env.toolCallDraw() < options.toolCallRate));
  const toolCall = calls ? toolCallFor(offer, pieceSource(options.text, request.promptWords, false)) : undefined;
  const answerTokens = toolCall ? toolCallTokens(toolCall) : (request.maxTokens ?? options.length);
  return { tokens: reasoningTokens + answerTokens, reasoningTokens, toolCall };
}

/**
 * At admission, as an engine schedules a request: the prefix cache is looked up (and takes the
 * prompt's blocks), and the uncached tokens' prefill time joins the time to first token.
 */
function prefill(env: GenerationEnv, job: Job, promptTokens: readonly string[]): void {
  const { counters, prefixCache, options } = env;
  counters.promptTokens += job.promptTokens;
  if (prefixCache) {
    job.cachedTokens = prefixCache.admit(promptTokens).cachedTokens;
    counters.prefixCacheQueries += job.promptTokens;
    counters.prefixCacheHits += job.cachedTokens;
  }
  const prefillMs = (options.prefillMsPer1k * (job.promptTokens - job.cachedTokens)) / 1000;
  job.ttftMs += prefillMs;
  env.metrics.prefill.recordMs(prefillMs);
}

function admitted(
  env: GenerationEnv,
  res: ServerResponse,
  request: GenerationRequest,
  promptTokens: readonly string[],
  overrides: RequestOverrides,
  receivedAtMs: number,
  shape: GenerationShape,
  failure: FailurePlan,
  ticket: Ticket | undefined,
): void {
  const { options, counters } = env;
  if (!ticket) {
    counters.rejected++;
    const limits = `maxRunning ${options.maxRunning}, maxWaiting ${options.maxWaiting}`;
    sendError(res, 429, `the emulator is at capacity (${limits})`, { "Retry-After": "1" }, request.errorBody);
    return;
  }
  // Every field named in one literal, in one order: a spread of `shape` followed by more fields gave
  // each job a map of its own, and every per-token read of a job missed V8's inline caches.
  const job: Job = {
    tokens: shape.tokens,
    reasoningTokens: shape.reasoningTokens,
    toolCall: shape.toolCall,
    finishReason: shape.toolCall ? "tool_calls" : request.maxTokens === undefined ? "stop" : "length",
    promptTokens: promptTokens.length,
    cachedTokens: 0,
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
    prefill(env, job, promptTokens);
    running =
      delivery.kind === "stream"
        ? streamTokens(env, res, job, delivery.renderer, admittedAtMs, onEnd)
        : respondWhole(env, res, job, delivery.render, admittedAtMs, onEnd);
  });
}
