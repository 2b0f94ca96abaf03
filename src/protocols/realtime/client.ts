// The client side of `realtime`: a WebSocket VoiceConnection (JSON events, arrival times taken as the
// frames arrive), its dialer, and the protocol definition that runs seed 003's scenarios over it.
import WebSocket from "ws";
import { nowMs } from "../../clock.js";
import { classifyError, ErrorClass, RequestFailure, type ErrorClassName } from "../../errors.js";
import { startEmulator } from "../../emulator/server.js";
import { startEmulatorThread } from "../../emulator/worker.js";
import { INSTANT_VOICE, warmUpVoiceClient } from "../../voice/warm-up.js";
import { VOICE_AGENT_DEFAULTS } from "../../voice/host.js";
import { voiceProtocol } from "../../voice/protocol.js";
import type { VoiceClientEvent, VoiceConnection, VoiceConnectionEnd, VoiceDialer, VoiceServerEvent } from "../../voice/types.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type DriverOptions, type ProtocolDefinition } from "../types.js";
import { DEFAULT_MAX_LINE_BYTES } from "../http/lines.js";
import { tlsConnectOptions } from "../tls.js";
import { decodeServerEvent, encodeClientEvent, REALTIME_PATH } from "./wire.js";

/** The WebSocket URL of a target: http(s) becomes ws(s); a bare host gets /v1/realtime?model=. */
export function realtimeUrl(target: URL, model: string): URL {
  const url = new URL(target);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.pathname === "/" || url.pathname === "") {
    url.pathname = REALTIME_PATH;
    if (!url.searchParams.has("model")) url.searchParams.set("model", model);
  }
  return url;
}

/** A refused upgrade names its HTTP status; a message over the cap is malformed; anything else is a socket error like any other. */
function classifySocketError(err: Error & { code?: string }): ErrorClassName {
  if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return ErrorClass.malformed;
  const status = /Unexpected server response: (\d{3})/.exec(err.message);
  return status ? (`http_${status[1]}` as ErrorClassName) : classifyError(err);
}

class RealtimeConnection implements VoiceConnection {
  /** session.created may arrive with the upgrade response, before anyone listens: kept until then. */
  private early: Array<[VoiceServerEvent, number]> | null = [];
  private listener: (event: VoiceServerEvent, at: number) => void = (event, at) => this.early?.push([event, at]);
  private endListener: ((end: VoiceConnectionEnd | null) => void) | null = null;
  private endedWith: VoiceConnectionEnd | null | undefined = undefined;
  private closing = false;

  constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      // Not the batch stamp of arrivalMs(): a turn's audio may be sent (stamped with nowMs()) in the
      // same event-loop pass that later reads its answer, and an answer must never predate its question.
      const at = nowMs();
      if (isBinary) return this.end({ errorClass: ErrorClass.malformed, message: "binary frame from the server" });
      let event: VoiceServerEvent | null;
      try {
        event = decodeServerEvent(data.toString());
      } catch (err) {
        this.end({ errorClass: ErrorClass.malformed, message: `unparseable server event: ${(err as Error).message}` });
        socket.terminate();
        return;
      }
      if (event) this.listener(event, at);
    });
    socket.on("close", (code: number, reason: Buffer) => {
      if (this.closing) return this.end(null);
      // 1006: the TCP connection went away without a close frame (a crash, an injected drop).
      const how = code === 1006 ? "the connection was lost" : `the server closed the connection (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""})`;
      this.end({ errorClass: ErrorClass.streamAborted, message: `${how} mid-conversation` });
    });
    socket.on("error", (err: Error) => this.end({ errorClass: classifySocketError(err), message: err.message }));
  }

  send(event: VoiceClientEvent): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(encodeClientEvent(event));
  }

  onEvent(listener: (event: VoiceServerEvent, at: number) => void): void {
    const early = this.early ?? [];
    this.early = null;
    this.listener = listener;
    for (const [event, at] of early) listener(event, at);
  }

  onEnd(listener: (end: VoiceConnectionEnd | null) => void): void {
    this.endListener = listener;
    if (this.endedWith !== undefined) listener(this.endedWith);
  }

  close(): void {
    this.closing = true;
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
  }

  private end(end: VoiceConnectionEnd | null): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = end;
    this.endListener?.(end);
  }
}

export function realtimeDialer(options: DriverOptions): VoiceDialer {
  const url = realtimeUrl(options.wsTarget ?? options.target, options.model);
  return {
    dial: (signal) =>
      new Promise((resolve, reject) => {
        const startedAt = nowMs();
        const handshakeTimeoutMs = Math.min(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, options.connectTimeoutMs);
        // A message past the line cap fails like an over-long line of an HTTP stream.
        const socket = new WebSocket(url, {
          headers: options.headers,
          perMessageDeflate: false,
          maxPayload: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
          ...tlsConnectOptions(options.tls),
        });
        // The dial fails once: by a socket error, the handshake limit or the run being stopped.
        const fail = (failure: RequestFailure): void => {
          clearTimeout(limit);
          signal?.removeEventListener("abort", onAbort);
          socket.off("error", onError);
          socket.on("error", () => undefined);
          socket.terminate();
          reject(failure);
        };
        const onError = (err: Error): void => fail(new RequestFailure(classifySocketError(err), `cannot connect to ${url.href}: ${err.message}`));
        const onAbort = (): void => fail(new RequestFailure(ErrorClass.cancelled, "the run was stopped while connecting"));
        const limit = setTimeout(
          () => fail(new RequestFailure(ErrorClass.timeoutHandshake, `no answer to the WebSocket handshake with ${url.href} within ${handshakeTimeoutMs} ms`)),
          handshakeTimeoutMs,
        );
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        socket.once("error", onError);
        socket.once("open", () => {
          clearTimeout(limit);
          signal?.removeEventListener("abort", onAbort);
          socket.off("error", onError);
          const connectMs = nowMs() - startedAt;
          // Small JSON events must not wait for Nagle's algorithm.
          (socket as unknown as { _socket?: { setNoDelay(v: boolean): void } })._socket?.setNoDelay(true);
          resolve({ connection: new RealtimeConnection(socket), connectMs });
        });
      }),
  };
}

export const realtime: ProtocolDefinition = voiceProtocol({
  name: "realtime",
  description: "voice agent over WebSocket: a subset of the OpenAI Realtime API, PCM16 mono base64 audio (seed 003)",
  inputSampleRate: 24000,
  dialer: realtimeDialer,
  startEmbedded: async (config) => {
    const emulator = await startEmulatorThread({
      host: "127.0.0.1",
      port: 0,
      voice: config.voice.emulator,
      ...(config.seed !== null ? { seed: config.seed } : {}),
    });
    const voice = { ...VOICE_AGENT_DEFAULTS, ...config.voice.emulator };
    const ttfa = voice.sttMs + voice.llmFirstTokenMs + voice.ttsFirstAudioMs;
    return {
      url: emulator.url,
      description: `embedded voice emulator on ${emulator.url}${REALTIME_PATH} (TTFA ${ttfa} ms, ${voice.responseAudioMs} ms answers, pace ${voice.pace}x)`,
      close: () => emulator.close(),
    };
  },
});

let warmed: Promise<void> | null = null;

/** Warm the client once per process against a throwaway in-process emulator; later calls wait for the first. */
realtime.warmUp = () => {
  warmed ??= startEmulator({ port: 0, warmUp: false, voice: INSTANT_VOICE }).then((emulator) => warmUpVoiceClient(realtime, emulator));
  return warmed;
};
