// Streamed delivery: one token frame per wheel firing. Each due time comes from the stream's own
// schedule (admitted + ttft + the sum of its gaps), never from "now", so a late firing delays one
// token without shifting the ones after it.
//
// A token is one socket write of one string that already carries its HTTP chunk framing (Node's
// own chunked write costs four buffered pieces and a writev per token). A client that does not read
// stops being fed once its socket buffer is full: its firings go on (their lateness is measured),
// the tokens due meanwhile leave together when it drains, and after the slow-client limit (options.ts) without
// draining the connection is dropped, so unread streams cannot grow the emulator's memory.
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { malformJson } from "./failures.js";
import type { Cancellable, StreamRenderer } from "./generation.js";
import { type GenerationEnv, type Job, resultOf } from "./job.js";
import type { WheelTask } from "./timing-wheel.js";

/** What a response streams over, looked up once per stream rather than once per token. */
interface Wire {
  /** The response's socket (HTTP/1.1), or its session's (HTTP/2). */
  socket: Socket | null;
  /** The HTTP/2 stream of a compat-API response; undefined for HTTP/1.1. */
  h2Stream: { writableNeedDrain: boolean } | undefined;
}

function wireOf(res: ServerResponse): Wire {
  return { socket: res.socket, h2Stream: (res as ServerResponse & { stream?: { writableNeedDrain: boolean } }).stream };
}

class TokenStream implements Cancellable {
  private sent = 0;
  /** Index of the first token held back by a full socket buffer; -1 when none is. */
  private heldFrom = -1;
  private blockedSinceMs = 0;
  private nominalDueMs: number;
  private firstTokenAtMs = 0;
  private lastTokenAtMs = 0;
  /** The stream's wheel task, made on the first firing's schedule and reused for every later one. */
  private task: WheelTask | undefined;
  private readonly wire: Wire;

  constructor(
    private readonly env: GenerationEnv,
    private readonly res: ServerResponse,
    private readonly job: Job,
    private readonly renderer: StreamRenderer,
    private readonly admittedAtMs: number,
    private readonly onEnd: () => void,
  ) {
    this.nominalDueMs = admittedAtMs + job.ttftMs;
    this.wire = wireOf(res);
    this.scheduleNext(env.pacing.jitterMs(job.ttftMs));
  }

  cancel(): void {
    if (this.task) this.env.wheel.cancel(this.task);
  }

  /** The next firing, on the stream's one wheel task (no allocation per token). */
  private scheduleNext(jitterMs: number): void {
    const dueMs = this.nominalDueMs + jitterMs;
    if (this.task === undefined) this.task = this.env.wheel.schedule(dueMs, this.fire);
    else this.env.wheel.reschedule(this.task, dueMs);
  }

  /**
   * Put `frames` on the wire now, as one HTTP chunk in one write (the socket is not corked: Node's
   * own res.write corks until the next tick, which would send the token after the firing pass).
   */
  private writeNow(frames: string): void {
    // A token with nothing to show yet (Ollama's tool call, sent whole with its last token).
    if (frames === "") return;
    const { res } = this;
    const { socket, h2Stream } = this.wire;
    // Node's http server frames a body it writes itself only while the response owns the socket.
    if (h2Stream !== undefined || socket === null || (socket as Socket & { _httpMessage?: unknown })._httpMessage !== res || socket.destroyed) {
      res.write(frames);
      return;
    }
    socket.write(`${Buffer.byteLength(frames).toString(16)}\r\n${frames}\r\n`);
  }

  /**
   * The client reads slower than the stream is written: its socket's buffer is full (HTTP/1.1), or
   * its stream's (HTTP/2, where flow control is per stream and the connection is shared).
   */
  private clientBehind(): boolean {
    const { socket, h2Stream } = this.wire;
    return h2Stream !== undefined ? h2Stream.writableNeedDrain : socket !== null && socket.writableNeedDrain;
  }

  /** Frames of the tokens held back from `heldFrom` up to (not including) `end`. */
  private heldFrames(end: number): string {
    let frames = "";
    if (this.heldFrom < 0) return frames;
    for (let index = this.heldFrom; index < end; index++) frames += this.frameOf(index);
    this.heldFrom = -1;
    return frames;
  }

  /**
   * What to do with token `index`: write it, hold it back (the client's socket buffer is full), or
   * nothing more, because the client stayed full past the limit and its connection was dropped.
   */
  private deliveryOf(index: number, firedAtMs: number): "write" | "hold" | "dropped" {
    if (!this.clientBehind()) return "write";
    const { env } = this;
    if (this.heldFrom < 0) {
      this.heldFrom = index;
      this.blockedSinceMs = firedAtMs;
      env.counters.streamsHeld++;
      return "hold";
    }
    if (firedAtMs - this.blockedSinceMs <= env.options.slowClientLimitMs) return "hold";
    env.counters.slowClientDrops++;
    this.onEnd();
    // HTTP/2: the stream alone (its response's socket stands for it), not the shared connection.
    this.res.socket?.destroy();
    return "dropped";
  }

  /** Frames of every token not sent yet, counted as sent. */
  private renderRest(): string {
    const { job } = this;
    let frames = "";
    for (; this.sent < job.tokens; this.sent++) frames += this.frameOf(this.sent);
    return frames;
  }

  /**
   * The frame of token `index` of the whole stream, counted as sent: reasoning tokens first, then
   * the answer's content tokens, or the tool call's opening and its argument pieces.
   */
  private frameOf(index: number): string {
    const { counters } = this.env;
    const { job, renderer } = this;
    counters.tokensSent++;
    if (index < job.reasoningTokens) {
      counters.reasoningTokensSent++;
      return renderer.reasoning!(index, job.pieces(index));
    }
    const answerIndex = index - job.reasoningTokens;
    const call = job.toolCall;
    if (call === undefined) return renderer.token(answerIndex, job.pieces(answerIndex));
    if (answerIndex === 0) {
      counters.toolCalls++;
      return renderer.toolCall!.start(call);
    }
    return renderer.toolCall!.arguments(answerIndex - 1, call.argumentPieces[answerIndex - 1]!);
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
    const result = resultOf(env, job, timing);
    this.res.end(frames + this.renderer.end(result));
  }

  private readonly fire = (firedAtMs: number): void => {
    const { env, job, res } = this;
    const index = this.sent++;
    if (index === 0) this.firstTokenAtMs = firedAtMs;
    else env.metrics.interTokenLatency.recordMs(firedAtMs - this.lastTokenAtMs);
    this.lastTokenAtMs = firedAtMs;
    const failure = job.failure;
    const last = this.sent === job.tokens;
    const plain = failure.kind === "none" || (failure.kind === "malformed" && failure.atToken !== index);
    if (plain && !last) {
      const delivery = this.deliveryOf(index, firedAtMs);
      if (delivery === "dropped") return;
      if (delivery === "hold") {
        this.scheduleAfter(job);
        return;
      }
    }
    let frame = this.frameOf(index);
    if (failure.kind === "malformed" && failure.atToken === index) frame = malformJson(frame);
    frame = this.heldFrames(index) + frame;

    if (failure.kind === "disconnect" && this.sent === failure.afterTokens) {
      env.counters.disconnects++;
      this.onEnd();
      // Destroying at once could drop the frame still in the socket's buffer; cut once it is out.
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
    if (last) {
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

  /** The next firing of a stream whose token was held back: the schedule goes on regardless. */
  private scheduleAfter(job: Job): void {
    const gapMs = this.env.pacing.interTokenMs(job.itlMs);
    this.nominalDueMs += gapMs;
    this.scheduleNext(this.env.pacing.jitterMs(gapMs));
  }
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
