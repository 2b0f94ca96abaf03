// The emulated voice agent of one session: simulated STT -> LLM -> TTS with the host's latencies,
// its audio paced on the emulator's timing wheel, tool calls, server VAD with barge-in (speech during
// a response pauses it; long enough speech cancels it, shorter speech is a false alarm and the
// response resumes), and failure injection. Transport-independent: events in through `handle`,
// out through `send`; `drop` asks the transport to cut the connection.
import { nowMs } from "../clock.js";
import { durationMs } from "../audio/pcm.js";
import { resamplePcm } from "../audio/resample.js";
import type { WheelTask } from "../emulator/timing-wheel.js";
import type { VoiceHost } from "./host.js";
import type { ResponseStatus, VoiceAgentContract, VoiceClientEvent, VoiceSend, VoiceSessionConfig } from "./types.js";
import { EnergyVad, type VadListener } from "./vad.js";

/** Rate the agent listens at; other input rates are converted to it. */
const LISTEN_RATE = 24000;
const WORDS = "sure here is what I found for you the answer is ready and I can help with anything else you need".split(" ");
const DEFAULT_TOOL = "lookup";

type Fate = { kind: "none" } | { kind: "error" } | { kind: "drop"; atChunk: number } | { kind: "stall" };

/** A failure a client forces on every response of its session (the emulator's x-tokenstorm-fail). */
export type ForcedVoiceFailure = "error" | "drop" | "stall";

/** Failures the agent injects into a response, drawn or forced; `slow_start` is a late first audio. */
export type InjectedAgentFailure = ForcedVoiceFailure | "slow_start";

/**
 * What the agent reports as it goes, for the emulator's /metrics: one observer per transport, called
 * where the agent's own /stats counters move, and with the time to first audio it produced.
 */
export interface VoiceAgentObserver {
  sessionOpened(): void;
  sessionClosed(): void;
  responseFinished(status: ResponseStatus): void;
  /** A response cancelled by the user's speech or the client's cancel. */
  bargeIn(): void;
  /** Speech during a response too short to interrupt it: the response resumed. */
  falseAlarm(): void;
  toolCall(): void;
  /** When the failure strikes: an error or a drop as it happens, a stall as the response starts, a slow start at its late first audio. */
  failureInjected(kind: InjectedAgentFailure): void;
  /** From the start of the agent's work on a response (the end of the user's turn, or the request after a tool output) to its first audio chunk. */
  firstAudio(ttfaMs: number): void;
}

const NO_OBSERVER: VoiceAgentObserver = {
  sessionOpened: () => undefined,
  sessionClosed: () => undefined,
  responseFinished: () => undefined,
  bargeIn: () => undefined,
  falseAlarm: () => undefined,
  toolCall: () => undefined,
  failureInjected: () => undefined,
  firstAudio: () => undefined,
};

interface Response {
  id: string;
  itemId: string;
  /** thinking: before the first audio (or the function call); speaking: audio flowing. */
  phase: "thinking" | "speaking";
  /** When the next step is due while not paused. */
  dueAt: number;
  chunksSent: number;
  totalChunks: number;
  task: WheelTask | null;
  paused: boolean;
  fate: Fate;
  callsTool: boolean;
  /** When the agent started on it: the reference of its time to first audio. */
  startedAt: number;
  slowStart: boolean;
}

export class VoiceAgent implements VoiceAgentContract {
  private readonly session: VoiceSessionConfig;
  private vad: EnergyVad | null = null;
  private inputMs = 0;
  /** End of the user's latest turn not yet answered; STT runs from here. */
  private turnEndedAt: number | null = null;
  private response: Response | null = null;
  /** Speech started while a response was active: it is paused until the speech proves long or short. */
  private bargeIn = false;
  private pendingCallId: string | null = null;
  private closed = false;
  private forced: ForcedVoiceFailure | null = null;
  private readonly intervalMs: number;

  constructor(
    private readonly host: VoiceHost,
    private readonly send: VoiceSend,
    private readonly drop: () => void = () => undefined,
    private readonly observer: VoiceAgentObserver = NO_OBSERVER,
  ) {
    const o = host.options;
    this.session = {
      inputSampleRate: LISTEN_RATE,
      outputSampleRate: o.outputSampleRate,
      turnDetection: o.turnDetection,
      minInterruptionMs: o.minInterruptionMs,
      tools: [],
      instructions: "",
    };
    this.intervalMs = o.chunkMs / o.pace;
    this.rebuildVad();
    host.stats.sessions++;
    host.stats.activeSessions++;
    observer.sessionOpened();
    this.send({ type: "session.created", sessionId: host.id("sess"), session: { ...this.session } });
  }

  /** Every later response of this session fails this way instead of by the configured rates. */
  force(failure: ForcedVoiceFailure): void {
    this.forced = failure;
  }

  /** The session as configured so far (decoders resolve partial updates against it). */
  get config(): Readonly<VoiceSessionConfig> {
    return this.session;
  }

  handle(event: VoiceClientEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case "session.update":
        Object.assign(this.session, event.session);
        this.rebuildVad();
        this.send({ type: "session.updated", session: { ...this.session } });
        return;
      case "audio.append":
        return this.append(event.audio);
      case "audio.commit":
        return this.commit();
      case "audio.clear":
        this.inputMs = 0;
        this.vad?.reset();
        this.send({ type: "audio.cleared" });
        return;
      case "response.create":
        return this.createResponse(event.toolChoice === "required");
      case "response.cancel":
        if (!this.response) return this.error("response_cancel_not_active", "there is no active response to cancel");
        this.host.stats.interruptions++;
        this.observer.bargeIn();
        return this.finish("cancelled", "client_cancelled");
      case "tool.output":
        if (event.callId !== this.pendingCallId) return this.error("unknown_call_id", `no function call is waiting for call_id ${event.callId}`);
        this.pendingCallId = null;
        return;
      case "truncate":
        return;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.stats.activeSessions--;
    this.observer.sessionClosed();
    if (this.response?.task) this.host.wheel.cancel(this.response.task);
    this.response = null;
  }

  private rebuildVad(): void {
    const detection = this.session.turnDetection;
    this.vad = detection ? new EnergyVad(detection, LISTEN_RATE, this.vadListener) : null;
  }

  private append(audio: Int16Array): void {
    this.inputMs += durationMs(audio.length, this.session.inputSampleRate);
    this.vad?.push(resamplePcm(audio, this.session.inputSampleRate, LISTEN_RATE));
  }

  private readonly vadListener: VadListener = {
    speechStarted: (audioStartMs) => {
      this.send({ type: "speech.started", itemId: this.host.id("item"), audioStartMs });
      if (this.response && !this.response.paused) {
        this.bargeIn = true;
        this.pause(this.response);
      }
    },
    speechContinues: (speechMs) => {
      if (this.bargeIn && speechMs >= this.session.minInterruptionMs) {
        this.bargeIn = false;
        this.host.stats.interruptions++;
        this.observer.bargeIn();
        this.finish("cancelled", "turn_detected");
      }
    },
    speechStopped: (audioEndMs) => {
      this.send({ type: "speech.stopped", itemId: this.host.id("item"), audioEndMs });
      if (this.bargeIn) {
        // Too short to be a turn: noise or a backchannel. Forget it and carry on speaking.
        this.bargeIn = false;
        this.host.stats.falseAlarms++;
        this.observer.falseAlarm();
        this.inputMs = 0;
        if (this.response) this.resume(this.response);
        return;
      }
      this.endTurn();
      if (!this.response) this.createResponse(false);
    },
  };

  private commit(): void {
    if (this.inputMs === 0) return this.error("input_audio_buffer_commit_empty", "the input audio buffer is empty");
    if (this.vad?.inSpeech) {
      this.send({ type: "speech.stopped", itemId: this.host.id("item"), audioEndMs: this.vad.heardMs });
      this.vad.reset();
    }
    if (this.bargeIn) {
      // The client declared its speech a turn before VAD could: a real interruption.
      this.bargeIn = false;
      this.host.stats.interruptions++;
      this.observer.bargeIn();
      this.finish("cancelled", "turn_detected");
    }
    this.endTurn();
  }

  private endTurn(): void {
    this.inputMs = 0;
    this.turnEndedAt = nowMs();
    this.send({ type: "audio.committed", itemId: this.host.id("item") });
  }

  private createResponse(callTool: boolean): void {
    if (this.response) return this.error("conversation_already_has_active_response", "a response is already in progress");
    const o = this.host.options;
    const now = nowMs();
    const startedAt = this.turnEndedAt ?? now;
    // A fresh user turn goes through STT first; a follow-up after a tool output starts at the LLM.
    const sttDoneAt = this.turnEndedAt !== null ? Math.max(now, this.turnEndedAt + o.sttMs) : now;
    this.turnEndedAt = null;
    const random = this.host.random;
    const draw = random();
    const kind = this.forced ?? (draw < o.errorRate ? "error" : draw < o.errorRate + o.dropRate ? "drop" : "none");
    const slow = o.slowStartRate > 0 && random() < o.slowStartRate ? o.slowStartMs : 0;
    const totalChunks = Math.max(1, Math.round(o.responseAudioMs / o.chunkMs));
    // A drop strikes mid-answer: after the first chunk, before the last.
    const fate: Fate = kind === "drop" ? { kind, atChunk: 1 + Math.floor(random() * Math.max(1, totalChunks - 1)) } : { kind };
    const response: Response = {
      id: this.host.id("resp"),
      itemId: this.host.id("item"),
      phase: "thinking",
      dueAt: callTool ? sttDoneAt + o.toolCallMs : sttDoneAt + o.llmFirstTokenMs + o.ttsFirstAudioMs + slow,
      chunksSent: 0,
      totalChunks,
      task: null,
      paused: false,
      fate,
      callsTool: callTool,
      startedAt,
      slowStart: slow > 0 && !callTool,
    };
    this.response = response;
    // A stall is in force from the start: the agent has taken the turn and will never answer it.
    if (fate.kind === "stall") this.observer.failureInjected("stall");
    this.send({ type: "response.created", responseId: response.id });
    this.schedule(response);
  }

  private schedule(response: Response): void {
    response.task = this.host.wheel.schedule(response.dueAt, () => this.step(response));
  }

  private step(response: Response): void {
    response.task = null;
    if (this.closed || this.response !== response || response.paused) return;
    if (response.phase === "thinking") {
      // A stalled agent accepted the turn and never answers: the client's timeout decides.
      if (response.fate.kind === "stall") return;
      if (response.fate.kind === "error") {
        this.observer.failureInjected("error");
        this.error("server_error", "injected failure: the agent could not produce a response");
        return this.finish("failed", "server_error");
      }
      if (response.callsTool) return this.callTool(response);
      response.phase = "speaking";
      this.observer.firstAudio(nowMs() - response.startedAt);
      if (response.slowStart) this.observer.failureInjected("slow_start");
    }
    const index = response.chunksSent++;
    this.send({ type: "transcript.delta", responseId: response.id, itemId: response.itemId, delta: `${index === 0 ? "" : " "}${WORDS[index % WORDS.length]}` });
    this.send({ type: "audio.delta", responseId: response.id, itemId: response.itemId, audio: this.host.voiceChunk });
    if (response.fate.kind === "drop" && response.chunksSent >= response.fate.atChunk) {
      this.host.stats.drops++;
      this.observer.failureInjected("drop");
      this.close();
      this.drop();
      return;
    }
    if (response.chunksSent >= response.totalChunks) {
      this.send({ type: "audio.done", responseId: response.id, itemId: response.itemId });
      return this.finish("completed");
    }
    response.dueAt += this.intervalMs;
    this.schedule(response);
  }

  private callTool(response: Response): void {
    const callId = this.host.id("call");
    const name = this.session.tools[0]?.name ?? DEFAULT_TOOL;
    this.pendingCallId = callId;
    this.host.stats.toolCalls++;
    this.observer.toolCall();
    this.send({ type: "function_call.arguments.done", responseId: response.id, itemId: response.itemId, callId, name, arguments: '{"query":"account balance"}' });
    this.finish("completed");
  }

  private pause(response: Response): void {
    response.paused = true;
    if (response.task) this.host.wheel.cancel(response.task);
    response.task = null;
    // The time left until the next step is kept so that resuming continues the same rhythm.
    response.dueAt = Math.max(0, response.dueAt - nowMs());
  }

  private resume(response: Response): void {
    response.paused = false;
    response.dueAt = response.phase === "speaking" ? nowMs() : nowMs() + response.dueAt;
    this.schedule(response);
  }

  private finish(status: "completed" | "cancelled" | "failed", reason?: string): void {
    const response = this.response;
    if (!response) return;
    if (response.task) this.host.wheel.cancel(response.task);
    this.response = null;
    this.bargeIn = false;
    this.host.stats.responses[status]++;
    this.observer.responseFinished(status);
    this.send({ type: "response.done", responseId: response.id, status, ...(reason ? { reason } : {}) });
  }

  private error(code: string, message: string): void {
    this.send({ type: "error", code, message });
  }
}
