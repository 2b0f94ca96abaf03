// Non-streamed delivery: the whole body leaves when the last token would have, at
// admitted + ttft + (n - 1) * itl, as one task on the shared wheel, written in batches of tokens.
import type { ServerResponse } from "node:http";
import { malformJson } from "./failures.js";
import type { Cancellable, WholeExtras, WholeRenderer } from "./generation.js";
import { type GenerationEnv, type Job, resultOf } from "./job.js";
import type { PieceSource } from "./text.js";

const NOTHING_TO_CANCEL: Cancellable = { cancel: () => undefined };

export function respondWhole(
  env: GenerationEnv,
  res: ServerResponse,
  job: Job,
  render: WholeRenderer,
  admittedAtMs: number,
  onEnd: () => void,
): Cancellable {
  const { failure } = job;
  if (failure.kind === "stall") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
    return NOTHING_TO_CANCEL;
  }
  const gapMs = env.pacing.interTokenMs(job.itlMs);
  const lastGapMs = job.tokens === 1 ? job.ttftMs : gapMs;
  const dueMs = admittedAtMs + job.ttftMs + (job.tokens - 1) * gapMs + env.pacing.jitterMs(lastGapMs);

  const task = env.wheel.schedule(dueMs, (firedAtMs) => {
    onEnd();
    if (failure.kind === "disconnect") {
      env.counters.disconnects++;
      res.socket?.destroy();
      return;
    }
    const timing = {
      receivedAtMs: job.receivedAtMs,
      admittedAtMs,
      firstTokenAtMs: Math.min(admittedAtMs + job.ttftMs, firedAtMs),
      endedAtMs: firedAtMs,
    };
    const result = resultOf(env, job, timing);
    // The body is written in pieces: its JSON around the text, and the text a batch of tokens at a
    // time, so that a long response never exists as one string (nor as its JSON copy). A tool call
    // has no text: its body is small and written whole.
    const extras = extrasOf(job);
    const json = render(job.toolCall ? "" : TEXT_PLACEHOLDER, result, extras);
    const at = job.toolCall ? json.length : json.lastIndexOf(TEXT_PLACEHOLDER);
    let head = json.slice(0, at);
    let tail = job.toolCall ? "" : json.slice(at + TEXT_PLACEHOLDER.length);
    let tokens = job.toolCall ? 0 : job.tokens - job.reasoningTokens;
    if (failure.kind === "truncate") {
      env.counters.truncations++;
      // Ended cleanly but early: the opening half of the text and no closing brace.
      tokens = Math.floor(tokens / 2);
      tail = "";
      if (job.toolCall) head = head.slice(0, Math.floor(head.length / 2));
    } else {
      env.counters.completed++;
      env.counters.tokensSent += job.tokens;
      env.counters.reasoningTokensSent += job.reasoningTokens;
      if (job.toolCall) env.counters.toolCalls++;
      env.metrics.recordCompleted(timing, job.tokens);
      if (failure.kind === "malformed") {
        if (job.toolCall) head = malformJson(head);
        else tail = malformJson(tail);
      }
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    writeBatches(res, head, textBatches(job.pieces, tokens), tail);
  });
  return { cancel: () => env.wheel.cancel(task) };
}

/** The reasoning text (built whole: --max-request-tokens bounds it) and the tool call of a job. */
function extrasOf(job: Job): WholeExtras {
  const extras: WholeExtras = {};
  if (job.reasoningTokens > 0) {
    let reasoning = "";
    for (let index = 0; index < job.reasoningTokens; index++) reasoning += job.pieces(index);
    extras.reasoning = reasoning;
  }
  if (job.toolCall) extras.toolCall = job.toolCall;
  return extras;
}

/** Stands for the response text in the rendered JSON; no renderer produces it on its own. */
const TEXT_PLACEHOLDER = "<<tokenstorm-response-text>>";

const TOKENS_PER_BATCH = 4096;

/** The JSON-escaped response text, TOKENS_PER_BATCH pieces at a time. */
function* textBatches(pieces: PieceSource, tokens: number): Generator<string> {
  for (let start = 0; start < tokens; start += TOKENS_PER_BATCH) {
    let text = "";
    for (let index = start; index < Math.min(tokens, start + TOKENS_PER_BATCH); index++) text += pieces(index);
    yield JSON.stringify(text).slice(1, -1);
  }
}

/** Write head, every batch and tail, waiting for the socket to drain between batches. */
function writeBatches(res: ServerResponse, head: string, batches: Iterator<string>, tail: string): void {
  res.write(head);
  const next = (): void => {
    for (let batch = batches.next(); !batch.done; batch = batches.next()) {
      if (res.destroyed) return;
      if (!res.write(batch.value)) {
        res.once("drain", next);
        return;
      }
    }
    res.end(tail);
  };
  next();
}
