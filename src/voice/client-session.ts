// The client's side of one voice session over any VoiceConnection: the session handshake, and the
// server's events queued in arrival order with their arrival times, so a scenario can read them
// one by one (`next`) without missing any that arrive while it is busy.
import { ErrorClass, type ErrorClassName } from "../errors.js";
import { RequestFailure } from "../errors.js";
import type { VoiceClientEvent, VoiceConnection, VoiceConnectionEnd, VoiceServerEvent, VoiceSessionConfig } from "./types.js";

export interface Arrival {
  event: VoiceServerEvent;
  /** nowMs() when the transport received it. */
  at: number;
}

/** What the client asks of the session at the start. */
export interface SessionRequest {
  inputSampleRate: number;
  serverVad: boolean;
  tools: string[];
}

export class VoiceClientSession {
  private readonly queue: Arrival[] = [];
  private head = 0;
  private waiter: { resolve: (arrival: Arrival) => void; reject: (err: Error) => void } | null = null;
  private ended: RequestFailure | null = null;
  /** An interruption that came while nobody was waiting (a timeout during the tool's run): the next wait gets it. */
  private interrupted: RequestFailure | null = null;
  /** The session as the server last described it. */
  config: VoiceSessionConfig | null = null;

  constructor(readonly connection: VoiceConnection) {
    connection.onEvent((event, at) => {
      if (event.type === "session.created" || event.type === "session.updated") this.config = event.session;
      const waiter = this.waiter;
      if (waiter && this.head === this.queue.length) {
        this.waiter = null;
        waiter.resolve({ event, at });
      } else {
        this.queue.push({ event, at });
      }
    });
    connection.onEnd((end) => this.end(end));
  }

  get open(): boolean {
    return this.ended === null;
  }

  send(event: VoiceClientEvent): void {
    if (this.ended) throw this.ended;
    this.connection.send(event);
  }

  /** The next server event; rejects once the connection has ended or `fail` is called. */
  next(): Promise<Arrival> {
    if (this.interrupted) {
      const failure = this.interrupted;
      this.interrupted = null;
      return Promise.reject(failure);
    }
    if (this.head < this.queue.length) {
      const arrival = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      return Promise.resolve(arrival);
    }
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Drop events left over from an earlier request (late deltas of a cancelled response...). */
  discardPending(): void {
    this.queue.length = 0;
    this.head = 0;
    this.interrupted = null;
  }

  /** Abort the current wait (timeout, run cancelled) without closing the connection. */
  interrupt(errorClass: ErrorClassName, message: string): void {
    const failure = new RequestFailure(errorClass, message);
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter.reject(failure);
    else this.interrupted = failure;
  }

  close(): void {
    this.connection.close();
    this.end(null);
  }

  /** Wait for session.created, then configure the session and wait for its acknowledgement. */
  async start(request: SessionRequest): Promise<void> {
    await this.until((e) => e.type === "session.created");
    const detection = this.config?.turnDetection ?? null;
    this.send({
      type: "session.update",
      session: {
        inputSampleRate: request.inputSampleRate,
        turnDetection: request.serverVad ? (detection ?? { type: "server_vad", threshold: 0.02, prefixPaddingMs: 300, silenceDurationMs: 500 }) : null,
        tools: request.tools.map((name) => ({ name, description: `emulated tool ${name}` })),
      },
    });
    await this.until((e) => e.type === "session.updated");
  }

  private async until(match: (event: VoiceServerEvent) => boolean): Promise<Arrival> {
    for (;;) {
      const arrival = await this.next();
      if (match(arrival.event)) return arrival;
      if (arrival.event.type === "error") throw new RequestFailure(ErrorClass.serverError, `${arrival.event.code}: ${arrival.event.message}`);
    }
  }

  private end(end: VoiceConnectionEnd | null): void {
    if (this.ended) return;
    this.ended = end ? new RequestFailure(end.errorClass, end.message) : new RequestFailure(ErrorClass.cancelled, "the session was closed");
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.ended);
  }
}
