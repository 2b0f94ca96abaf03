// The emulator's load model: at most `maxRunning` generations at once (0 = unlimited) and, with a KV
// cache (`kvCacheTokens` > 0), at most that many tokens held by the running generations (each holds its
// prompt and its output while it runs); the rest wait in FIFO order, and a full wait queue turns
// requests away, like an inference server's batch slots and KV-cache blocks.

type TicketState = "waiting" | "running" | "left";

/** A request's hold on a running slot, or on its place in the queue. */
export interface Ticket {
  readonly waiting: boolean;
  /** Run `start` once the ticket holds a slot: now if it already does. */
  whenAdmitted(start: () => void): void;
  /** Give back the slot, or the place in the queue; safe to call more than once. */
  leave(): void;
}

/**
 * What the delivery code asks for a slot: this process's own Admission, or (`emulate --workers`)
 * one shared by every worker through the primary, whose answer comes back asynchronously.
 */
export interface AdmissionControl {
  readonly running: number;
  readonly waiting: number;
  /** KV-cache tokens held by the running generations (0 without a KV cache). */
  readonly kvTokens: number;
  /** The most generations running at once since the last resetPeak(). */
  readonly peakRunning: number;
  resetPeak(): void;
  /** A ticket that runs now or waits its turn; undefined when the queue is full (answer 429). `tokens`: what it holds of the KV cache. */
  enter(tokens: number): Ticket | undefined | Promise<Ticket | undefined>;
  close(): void;
}

export class AdmissionTicket implements Ticket {
  private onAdmit: (() => void) | undefined;

  constructor(
    private readonly admission: Admission,
    private state: TicketState,
    /** KV-cache tokens it holds while it runs. */
    readonly tokens: number,
  ) {}

  get waiting(): boolean {
    return this.state === "waiting";
  }

  /** Run `start` once the ticket holds a slot: now if it already does. */
  whenAdmitted(start: () => void): void {
    if (this.state === "running") start();
    else if (this.state === "waiting") this.onAdmit = start;
  }

  /** Give back the slot, or the place in the queue; safe to call more than once. */
  leave(): void {
    const previous = this.state;
    this.state = "left";
    this.onAdmit = undefined;
    this.admission.released(this, previous);
  }

  /** @internal */
  admit(): void {
    this.state = "running";
    const start = this.onAdmit;
    this.onAdmit = undefined;
    start?.();
  }
}

export class Admission implements AdmissionControl {
  private runningCount = 0;
  private heldTokens = 0;
  /** The most generations running at once since the last resetPeak(). */
  peakRunning = 0;
  // A Set keeps insertion order and deletes in O(1), which a FIFO with departures from the middle needs.
  private readonly queue = new Set<AdmissionTicket>();
  private closed = false;

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
    /** 0: no KV-cache limit. */
    private readonly kvCacheTokens = 0,
  ) {}

  get running(): number {
    return this.runningCount;
  }

  get waiting(): number {
    return this.queue.size;
  }

  get kvTokens(): number {
    return this.heldTokens;
  }

  /** Whether a generation holding `tokens` can start now: a free slot and room in the KV cache. */
  private fits(tokens: number): boolean {
    return (this.maxRunning === 0 || this.runningCount < this.maxRunning) && (this.kvCacheTokens === 0 || this.heldTokens + tokens <= this.kvCacheTokens);
  }

  private start(ticket: AdmissionTicket): void {
    this.runningCount++;
    this.heldTokens += this.kvCacheTokens === 0 ? 0 : ticket.tokens;
    if (this.runningCount > this.peakRunning) this.peakRunning = this.runningCount;
  }

  /** A ticket that runs now or waits its turn; undefined when the queue is full (answer 429). */
  enter(tokens = 0): AdmissionTicket | undefined {
    if (this.closed) return undefined;
    // First come, first served: nobody passes a request already waiting, however small.
    if (this.queue.size === 0 && this.fits(tokens)) {
      const ticket = new AdmissionTicket(this, "running", tokens);
      this.start(ticket);
      return ticket;
    }
    if (this.queue.size >= this.maxWaiting) return undefined;
    const ticket = new AdmissionTicket(this, "waiting", tokens);
    this.queue.add(ticket);
    return ticket;
  }

  /** Start the peak again from the generations running now (stats reset). */
  resetPeak(): void {
    this.peakRunning = this.runningCount;
  }

  /** Stop admitting anyone, waiting or new: the emulator is shutting down. */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  /** @internal */
  released(ticket: AdmissionTicket, previous: TicketState): void {
    if (previous === "waiting") this.queue.delete(ticket);
    if (previous !== "running") return;
    this.runningCount--;
    this.heldTokens -= this.kvCacheTokens === 0 ? 0 : ticket.tokens;
    while (!this.closed && this.queue.size > 0) {
      const next = this.queue.values().next().value!;
      if (!this.fits(next.tokens)) break;
      this.queue.delete(next);
      this.start(next);
      next.admit();
    }
  }
}
