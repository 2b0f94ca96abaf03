// Streamed delivery: one token frame per wheel firing. Each due time comes from the stream's own
// schedule (admitted + ttft + the sum of its gaps), never from "now", so a late firing delays one
// token without shifting the ones after it.
import type { ServerResponse } from "node:http";
import { malformJson } from "./failures.js";
import type { Cancellable, StreamRenderer } from "./generation.js";
import type { GenerationEnv, Job } from "./job.js";
import type { WheelTask } from "./timing-wheel.js";

class TokenStream implements Cancellable {
  private sent = 0;
  private nominalDueMs: number;
  private firstTokenAtMs = 0;
  private lastTokenAtMs = 0;
  private task: WheelTask | undefined;

  constructor(
    private readonly env: GenerationEnv,
    private readonly res: ServerResponse,
    private readonly job: Job,
    private readonly renderer: StreamRenderer,
    private readonly admittedAtMs: number,
    private readonly onEnd: () => void,
  ) {
    this.nominalDueMs = admittedAtMs + job.ttftMs;
    this.scheduleNext(env.pacing.jitterMs(job.ttftMs));
  }

  cancel(): void {
    if (this.task) this.env.wheel.cancel(this.task);
    this.task = undefined;
  }

  private scheduleNext(jitterMs: number): void {
    this.task = this.env.wheel.schedule(this.nominalDueMs + jitterMs, this.fire);
  }

  /**
   * A full socket buffer does not hold the schedule back: the emulator keeps time, and a slow
   * client's lag shows up in what it measures. Node corks the socket until the next tick;
   * uncorking puts the token on the wire at its own firing, not after the whole firing pass.
   */
  private writeNow(frame: string): void {
    this.res.write(frame);
    this.res.socket?.uncork();
  }

  /** Frames of every token not sent yet, counted as sent. */
  private renderRest(): string {
    const { env, job } = this;
    let frames = "";
    for (; this.sent < job.tokens; this.sent++) {
      frames += this.renderer.token(this.sent, job.pieces(this.sent));
      env.counters.tokensSent++;
    }
    return frames;
  }

  /** The last token's frame(s) and the end frames, in one write: they leave in the same packet, as from a real server. */
  private complete(frames: string, endedAtMs: number): void {
    const { env, job } = this;
    env.counters.completed++;
    this.onEnd();
    const timing = {
      receivedAtMs: job.receivedAtMs,
      admittedAtMs: this.admittedAtMs,
      firstTokenAtMs: this.firstTokenAtMs,
      endedAtMs,
    };
    env.metrics.recordCompleted(timing, job.tokens);
    const result = { promptTokens: job.promptTokens, completionTokens: job.tokens, finishReason: job.finishReason, timing };
    this.res.end(frames + this.renderer.end(result));
  }

  private readonly fire = (firedAtMs: number): void => {
    this.task = undefined;
    const { env, job, res } = this;
    const index = this.sent++;
    if (index === 0) this.firstTokenAtMs = firedAtMs;
    else env.metrics.interTokenLatency.recordMs(firedAtMs - this.lastTokenAtMs);
    this.lastTokenAtMs = firedAtMs;
    let frame = this.renderer.token(index, job.pieces(index));
    const failure = job.failure;
    if (failure.kind === "malformed" && failure.atToken === index) frame = malformJson(frame);
    env.counters.tokensSent++;

    if (failure.kind === "disconnect" && this.sent === failure.afterTokens) {
      env.counters.disconnects++;
      this.onEnd();
      // Destroying at once would drop the frame still corked in the socket; cut once it is out.
      const socket = res.socket;
      res.write(frame, () => socket?.destroy());
      return;
    }
    if (failure.kind === "truncate" && this.sent === failure.afterTokens) {
      env.counters.truncations++;
      this.onEnd();
      res.end(frame);
      return;
    }
    if (failure.kind === "stall") {
      // Nothing more is scheduled: the slot stays taken until the client gives up.
      this.writeNow(frame);
      return;
    }
    if (this.sent === job.tokens) {
      this.complete(frame, firedAtMs);
      return;
    }
    const gapMs = env.pacing.interTokenMs(job.itlMs);
    if (gapMs === 0 && failure.kind === "none") {
      // Unpaced: the rest of the stream leaves in one write, as fast as the client can take it.
      this.complete(frame + this.renderRest(), firedAtMs);
      return;
    }
    this.writeNow(frame);
    this.nominalDueMs += gapMs;
    this.scheduleNext(env.pacing.jitterMs(gapMs));
  };
}

/** Start streaming `job`; the headers are already sent. `onEnd` runs once the stream ended on its own. */
export function streamTokens(
  env: GenerationEnv,
  res: ServerResponse,
  job: Job,
  renderer: StreamRenderer,
  admittedAtMs: number,
  onEnd: () => void,
): Cancellable {
  return new TokenStream(env, res, job, renderer, admittedAtMs, onEnd);
}
