// The emulator's load model: at most `maxRunning` generations at once (0 = unlimited), the rest wait
// in FIFO order, and a full wait queue turns requests away, like an inference server's batch slots.

type TicketState = "waiting" | "running" | "left";

export class AdmissionTicket {
  private onAdmit: (() => void) | undefined;

  constructor(
    private readonly admission: Admission,
    private state: TicketState,
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

export class Admission {
  private runningCount = 0;
  // A Set keeps insertion order and deletes in O(1), which a FIFO with departures from the middle needs.
  private readonly queue = new Set<AdmissionTicket>();
  private closed = false;

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  get running(): number {
    return this.runningCount;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /** A ticket that runs now or waits its turn; undefined when the queue is full (answer 429). */
  enter(): AdmissionTicket | undefined {
    if (this.closed) return undefined;
    if (this.maxRunning === 0 || this.runningCount < this.maxRunning) {
      this.runningCount++;
      return new AdmissionTicket(this, "running");
    }
    if (this.queue.size >= this.maxWaiting) return undefined;
    const ticket = new AdmissionTicket(this, "waiting");
    this.queue.add(ticket);
    return ticket;
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
    while (!this.closed && this.queue.size > 0 && (this.maxRunning === 0 || this.runningCount < this.maxRunning)) {
      const next = this.queue.values().next().value!;
      this.queue.delete(next);
      this.runningCount++;
      next.admit();
    }
  }
}
