// Non-streamed delivery: the whole body leaves when the last token would have, at
// admitted + ttft + (n - 1) * itl, as one task on the shared wheel.
import type { ServerResponse } from "node:http";
import { malformJson } from "./failures.js";
import type { Cancellable, WholeRenderer } from "./generation.js";
import { sendJsonText } from "./http.js";
import type { GenerationEnv, Job } from "./job.js";
import { joinPieces } from "./text.js";

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
    const result = { promptTokens: job.promptTokens, completionTokens: job.tokens, finishReason: job.finishReason, timing };
    const body = render(joinPieces(job.pieces, job.tokens), result);
    if (failure.kind === "truncate") {
      env.counters.truncations++;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    env.counters.completed++;
    env.counters.tokensSent += job.tokens;
    env.metrics.recordCompleted(timing, job.tokens);
    sendJsonText(res, 200, failure.kind === "malformed" ? malformJson(body) : body);
  });
  return { cancel: () => env.wheel.cancel(task) };
}
