// One Converse call as the client scenarios' VoiceConnection: voice events in and out, server events
// stamped with nowMs() as they are delivered, and the call's final status classified. Where the wire
// differs from the realtime events: speech_start (which the realtime API lacks) is sent before the
// first audio of each user turn, so a gateway that relies on it (seed 002's does) sees the turn
// start; and audio.commit + response.create become one speech_end.
import type * as grpc from "@grpc/grpc-js";
import { nowMs } from "../../clock.js";
import type { VoiceClientEvent, VoiceConnection, VoiceConnectionEnd, VoiceServerEvent } from "../../voice/types.js";
import { grpcJs } from "./grpc-modules.js";
import { classifyGrpcError, grpcStatusName } from "./status.js";
import { clientEventToWire, serverEventFromWire, speechEndToWire, type WireEvent } from "./wire.js";

/** How long a half-closed call may take to end before it is cancelled, ms. */
const CLOSE_GRACE_MS = 1000;

export class GrpcVoiceConnection implements VoiceConnection {
  private eventListener: ((event: VoiceServerEvent, at: number) => void) | null = null;
  private endListener: ((end: VoiceConnectionEnd | null) => void) | null = null;
  /** Events (and the end) that arrive before the session listens: the dialer hands the call over late. */
  private early: Array<{ event: VoiceServerEvent; at: number }> = [];
  private earlyEnd: { end: VoiceConnectionEnd | null } | null = null;
  private ended = false;
  private closing = false;
  private inTurn = false;
  private commitPending = false;
  private received = 0;

  /** `onFinished(channelSound)` runs once the call has ended either way (the dialer takes its channel back). */
  constructor(
    private readonly call: grpc.ClientDuplexStream<WireEvent, WireEvent>,
    private readonly onFinished: (channelSound: boolean) => void = () => undefined,
  ) {
    call.on("data", (message: WireEvent) => {
      const at = nowMs();
      this.received++;
      const event = serverEventFromWire(message);
      if (!event) return;
      if (this.eventListener) this.eventListener(event, at);
      else this.early.push({ event, at });
    });
    // grpc-js reports every ending through 'status' (also after 'error'); 'error' only needs a listener.
    call.on("error", () => undefined);
    call.on("status", (status: grpc.StatusObject) => this.end(status));
  }

  send(event: VoiceClientEvent): void {
    if (this.ended || this.closing) return;
    if (event.type === "response.create" && this.commitPending) {
      // The answer's request rides on the turn's end: one speech_end carrying the tool choice.
      this.commitPending = false;
      this.call.write(speechEndToWire(event.toolChoice));
      return;
    }
    this.flushCommit();
    if (event.type === "audio.append" && !this.inTurn) {
      this.inTurn = true;
      this.call.write({ speech_start: {} });
    } else if (event.type === "audio.commit" || event.type === "audio.clear") {
      this.inTurn = false;
    }
    if (event.type === "audio.commit") {
      // Held for the response.create that follows in the same tick; sent alone if none does.
      this.commitPending = true;
      queueMicrotask(() => this.flushCommit());
      return;
    }
    const message = clientEventToWire(event);
    if (message) this.call.write(message);
  }

  private flushCommit(): void {
    if (!this.commitPending) return;
    this.commitPending = false;
    if (!this.ended) this.call.write(speechEndToWire(undefined));
  }

  onEvent(listener: (event: VoiceServerEvent, at: number) => void): void {
    this.eventListener = listener;
    const early = this.early;
    this.early = [];
    for (const { event, at } of early) listener(event, at);
  }

  onEnd(listener: (end: VoiceConnectionEnd | null) => void): void {
    this.endListener = listener;
    if (this.earlyEnd) listener(this.earlyEnd.end);
  }

  /** Half-close: the gateway ends the conversation with OK; a gateway that does not is cancelled. */
  close(): void {
    if (this.ended || this.closing) return;
    this.closing = true;
    this.call.end();
    setTimeout(() => {
      if (!this.ended) this.call.cancel();
    }, CLOSE_GRACE_MS).unref();
  }

  /** Cut the call now (the run is stopping). */
  cancel(): void {
    if (!this.ended) {
      this.closing = true;
      this.call.cancel();
    }
  }

  private end(status: grpc.StatusObject): void {
    if (this.ended) return;
    this.ended = true;
    const { OK, CANCELLED } = grpcJs().status;
    const ok = status.code === OK || (this.closing && status.code === CANCELLED);
    const end = ok ? null : { errorClass: classifyGrpcError(status, this.received > 0), message: `${grpcStatusName(status.code)}: ${status.details}` };
    // A status the gateway chose (grpc_*) leaves the channel sound; a transport failure may not.
    this.onFinished(end === null || end.errorClass.startsWith("grpc_"));
    if (this.endListener) this.endListener(end);
    else this.earlyEnd = { end };
  }
}
