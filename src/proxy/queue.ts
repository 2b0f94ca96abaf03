// The proxy's upstream gate: at most `maxUpstream` requests go to the upstream at once (0: no
// limit), the rest wait their turn first in, first out, and beyond `maxQueue` waiting a request is
// turned away. The slots and the FIFO are the emulator's admission model (the same behaviour an
// inference server's batch slots have); this adds what the proxy reports: the deepest the queue got
// and how many were turned away.
import { Admission, type AdmissionTicket } from "../emulator/admission.js";

export type GateTicket = AdmissionTicket;

export class UpstreamGate {
  private readonly admission: Admission;
  /** Highest queue depth since the last peak reading (the per-second queue panel takes it). */
  private depthPeak = 0;
  /** Highest queue depth since the proxy started. */
  maxDepthSeen = 0;
  /** Requests turned away because the queue was full. */
  rejected = 0;

  constructor(
    readonly maxUpstream: number,
    readonly maxQueue: number,
  ) {
    this.admission = new Admission(maxUpstream, maxQueue);
  }

  /** Requests holding an upstream slot now. */
  get inFlight(): number {
    return this.admission.running;
  }

  /** Requests waiting for a slot now. */
  get depth(): number {
    return this.admission.waiting;
  }

  /** The deepest the queue was since the last call; the next period starts from the depth now. */
  takeDepthPeak(): number {
    const peak = this.depthPeak;
    this.depthPeak = this.admission.waiting;
    return peak;
  }

  /** A ticket that goes upstream now or waits its turn; undefined when the queue is full (answer 429). */
  enter(): GateTicket | undefined {
    const ticket = this.admission.enter();
    if (!ticket) {
      this.rejected++;
      return undefined;
    }
    const depth = this.admission.waiting;
    if (depth > this.depthPeak) this.depthPeak = depth;
    if (depth > this.maxDepthSeen) this.maxDepthSeen = depth;
    return ticket;
  }
}
