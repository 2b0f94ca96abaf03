// When the client's audio appends go out (--speech-pacing). `burst`: a whole utterance at once, as
// seed 003's client sends "a 2-second audio chunk". `realtime`: each append when its audio would
// have been spoken, as a microphone delivers it, so the agent hears speech at the pace a person
// speaks. Due times count from the start of the utterance (never from the previous send), so a late
// wake-up sends the overdue appends at once and later ones keep their places; how late each append
// went out is kept, so a saturated client shows in the report. Every paced utterance of the process
// is timed on one shared timing wheel, with one pending task per utterance (its next append).
import { nowMs } from "../clock.js";
import { chunkPcm, durationMs, samplesFor } from "../audio/pcm.js";
import { TimingWheel, type WheelTask } from "../emulator/timing-wheel.js";

export const SPEECH_PACINGS = ["burst", "realtime"] as const;
export type SpeechPacing = (typeof SPEECH_PACINGS)[number];

/** Audio per append (input_audio_buffer.append / one gRPC audio message), ms. */
export const APPEND_MS = 100;

/** How an utterance went out. */
export interface Spoken {
  /** nowMs() right after the last append was handed to the transport: the end of the user's speech. */
  sentAt: number;
  /** The same for each part of the utterance (see Speaker.speak), in order. */
  partsSentAt: number[];
}

export interface SpeakOptions {
  /** Runs right after the last append, in the same turn of the event loop (the commit of a turn). */
  onLast?(): void;
}

/** One utterance on its way; `ended` rejects when a send fails (the connection is gone) or on `cancel`. */
export interface Utterance {
  readonly ended: Promise<Spoken>;
  /** Stop sending: appends not yet sent never will be, and `ended` rejects with `reason`. */
  cancel(reason: Error): void;
}

/** The appends of an utterance, and the index of the last append of each of its parts. */
interface Appends {
  chunks: Int16Array[];
  partEnds: number[];
}

let sharedWheel: TimingWheel | null = null;

function wheel(): TimingWheel {
  // An idle wheel arms no timer, so this one never keeps the process alive. Not precise: polling
  // the last 2 ms before every append kept a core half busy with 100 speakers, taking CPU from the
  // measurement, while a millisecond of timer lateness on a 100 ms append changes nothing.
  sharedWheel ??= new TimingWheel(
    (err) => process.stderr.write(`tokenstorm: internal error in speech pacing: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
    { precise: false },
  );
  return sharedWheel;
}

/**
 * The speech of one request: sends utterances through `send` at the run's pacing, and keeps the
 * worst lag of a paced append behind its due time. `settle` waits for every utterance still being
 * spoken; `cancel` stops them all (the request failed, or the run is stopping).
 */
export class Speaker {
  /** Latest any paced append of this request went out behind its due time, ms; null when nothing was paced. */
  worstLagMs: number | null = null;
  private readonly active = new Set<PacedUtterance>();

  constructor(
    readonly pacing: SpeechPacing,
    private readonly sampleRate: number,
    private readonly send: (chunk: Int16Array) => void,
  ) {}

  /**
   * Say `parts` one after the other without a pause (a noise, then the silence that ends it), each
   * cut into APPEND_MS appends; `ended` gives when each part's last append went out.
   */
  speak(parts: Int16Array | Int16Array[], options: SpeakOptions = {}): Utterance {
    const appends: Appends = { chunks: [], partEnds: [] };
    for (const part of Array.isArray(parts) ? parts : [parts]) {
      appends.chunks.push(...chunkPcm(part, samplesFor(APPEND_MS, this.sampleRate)));
      appends.partEnds.push(appends.chunks.length - 1);
    }
    if (this.pacing === "burst") return this.burst(appends, options);
    const utterance = new PacedUtterance(this, appends, options);
    this.active.add(utterance);
    const forget = (): boolean => this.active.delete(utterance);
    utterance.ended.then(forget, forget);
    utterance.start();
    return utterance;
  }

  /** Every utterance still being spoken has been sent (or failed). */
  async settle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active].map((u) => u.ended));
  }

  cancel(reason: Error): void {
    for (const utterance of this.active) utterance.cancel(reason);
    this.active.clear();
  }

  /** @internal: one append of a paced utterance, sent `lagMs` behind its due time. */
  sendPaced(chunk: Int16Array, lagMs: number): void {
    this.send(chunk);
    if (this.worstLagMs === null || lagMs > this.worstLagMs) this.worstLagMs = lagMs;
  }

  /** @internal */
  durationOf(chunk: Int16Array): number {
    return durationMs(chunk.length, this.sampleRate);
  }

  private burst({ chunks, partEnds }: Appends, options: SpeakOptions): Utterance {
    let ended: Promise<Spoken>;
    try {
      const partsSentAt: number[] = [];
      chunks.forEach((chunk, index) => {
        this.send(chunk);
        if (partEnds.includes(index)) partsSentAt.push(nowMs());
      });
      const sentAt = nowMs();
      options.onLast?.();
      ended = Promise.resolve({ sentAt, partsSentAt });
    } catch (err) {
      ended = Promise.reject(err as Error);
      // Awaited by the scenario if it gets that far; never an unhandled rejection otherwise.
      ended.catch(() => undefined);
    }
    // Sent already: nothing left to stop.
    return { ended, cancel: () => undefined };
  }
}

/**
 * A paced utterance. Append k is due when the audio of appends 0..k has been spoken, counting from
 * one append before the start (the first goes at once: the user began one append earlier), as a
 * microphone delivers each buffer once it is full. A wheel firing sends every append due by then,
 * so overdue ones go out together, each counted late.
 */
class PacedUtterance implements Utterance {
  readonly ended: Promise<Spoken>;
  private resolve!: (spoken: Spoken) => void;
  private reject!: (err: Error) => void;
  private readonly dueAt: number[] = [];
  private readonly partsSentAt: number[] = [];
  private next = 0;
  private task: WheelTask | null = null;
  private cancelled = false;

  constructor(
    private readonly speaker: Speaker,
    private readonly appends: Appends,
    private readonly options: SpeakOptions,
  ) {
    this.ended = new Promise<Spoken>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failed utterance nobody awaits any more (its request already failed) must not be an unhandled rejection.
    this.ended.catch(() => undefined);
    const { chunks } = appends;
    let spoken = nowMs() - (chunks.length > 0 ? speaker.durationOf(chunks[0]!) : 0);
    for (const chunk of chunks) {
      spoken += speaker.durationOf(chunk);
      this.dueAt.push(spoken);
    }
  }

  start(): void {
    this.sendDue(false);
  }

  cancel(reason: Error): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.task) wheel().cancel(this.task);
    this.task = null;
    this.reject(reason);
  }

  /** `fired`: the wheel decided the next append is due (it may fire a cluster a fraction of a ms early). */
  private sendDue(fired: boolean): void {
    this.task = null;
    if (this.cancelled) return;
    const { chunks, partEnds } = this.appends;
    try {
      let now = nowMs();
      while (this.next < chunks.length && (fired || this.dueAt[this.next]! <= now)) {
        fired = false;
        const index = this.next++;
        this.speaker.sendPaced(chunks[index]!, Math.max(0, now - this.dueAt[index]!));
        now = nowMs();
        if (partEnds.includes(index)) this.partsSentAt.push(now);
      }
      if (this.next < chunks.length) {
        this.task = wheel().schedule(this.dueAt[this.next]!, () => this.sendDue(true));
        return;
      }
      this.options.onLast?.();
      this.resolve({ sentAt: now, partsSentAt: this.partsSentAt });
    } catch (err) {
      this.reject(err as Error);
    }
  }
}
