// Seed 003's four conversation scenarios, written once over a VoiceClientSession so every voice
// transport runs the same client logic. Each is one request: it speaks, reads the agent's events in
// order, records the voice latencies on the trace, and throws a RequestFailure when the agent does
// not behave as the scenario expects. The user's speech goes out at the run's pacing (pacing.ts);
// every latency counted from the end of speech starts when its last append was actually sent.
import { nowMs } from "../clock.js";
import { ErrorClass, RequestFailure } from "../errors.js";
import { durationMs } from "../audio/pcm.js";
import type { AudioLibrary, UtteranceKind } from "../audio/library.js";
import { silence } from "../audio/generate.js";
import type { RequestTrace } from "../metrics/trace.js";
import type { VoiceClientSession } from "./client-session.js";
import { APPEND_MS, Speaker, type SpeechPacing } from "./pacing.js";
import type { ScenarioName } from "./plan.js";
import type { ResponseStatus } from "./types.js";

/** The client interrupts (or makes noise) this far into the agent's audio: seed 003's 0.3-0.8 s. */
const INTERRUPT_AFTER_MS = { min: 300, max: 800 };
/** Errors a server VAD session may answer to the client's own commit when VAD already ended the turn. */
const TOLERATED_ERRORS = new Set(["input_audio_buffer_commit_empty", "conversation_already_has_active_response"]);
export const TOOL_NAME = "get_account_balance";

/** Per-scenario time limits (seed 003: tool calls get 45 s); --timeout caps them. */
export const SCENARIO_TIMEOUT_MS: Record<ScenarioName, number> = { simple_query: 30_000, tool_call: 45_000, interruption: 30_000, false_alarm: 30_000 };

export interface ScenarioContext {
  session: VoiceClientSession;
  trace: RequestTrace;
  audio: AudioLibrary;
  /** The agent detects speech (barge-in); otherwise the client commits and cancels itself. */
  serverVad: boolean;
  toolLatencyMs: number;
  /** Uniform draw in [0, 1) for this request (interrupt point), replayable with --seed. */
  draw: number;
  /** Which file of --audio-dir to speak next. */
  utteranceIndex: number;
  /** The request's speech, at the run's --speech-pacing (speakerFor). */
  speaker: Speaker;
}

interface ResponseOutcome {
  status: ResponseStatus;
  reason: string | undefined;
  doneAt: number;
  firstAudioAt: number | null;
  call: { callId: string; at: number } | null;
}

interface WatchHooks {
  /** Called for each audio delta with the agent audio received so far in this response, ms. */
  onAudio?(audioMs: number, at: number): void;
  onSpeechStarted?(at: number): void;
  onSpeechStopped?(at: number): void;
}

function failure(message: string): RequestFailure {
  return new RequestFailure(ErrorClass.scenarioUnmet, message);
}

/** The speech of one request on `session`: appends at `pacing`; the first one marks the request as sent. */
export function speakerFor(pacing: SpeechPacing, session: VoiceClientSession, trace: RequestTrace, sampleRate: number): Speaker {
  return new Speaker(pacing, sampleRate, (audio) => {
    session.send({ type: "audio.append", audio });
    if (trace.sentAt === 0) trace.sent(nowMs());
  });
}

/** A promise a scenario may await later, or never if it fails first: never an unhandled rejection. */
function held<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Say a whole turn: the utterance, then, right after its last append, the commit (end of speech)
 * and the request for a response. Resolves with the end of speech (when the last append was sent).
 */
function speakTurn(ctx: ScenarioContext, kind: UtteranceKind, toolChoice?: "required"): Promise<number> {
  const utterance = ctx.speaker.speak(ctx.audio.utterance(kind, ctx.utteranceIndex), {
    onLast: () => {
      ctx.session.send({ type: "audio.commit" });
      ctx.session.send({ type: "response.create", ...(toolChoice ? { toolChoice } : {}) });
    },
  });
  return held(utterance.ended.then((spoken) => spoken.sentAt));
}

/** Read events until the next response has ended; audio deltas count as the trace's chunks. */
async function watchResponse(ctx: ScenarioContext, hooks: WatchHooks = {}): Promise<ResponseOutcome> {
  const outputRate = ctx.session.config?.outputSampleRate ?? 24000;
  let responseId: string | null = null;
  let audioSamples = 0;
  let firstAudioAt: number | null = null;
  let call: ResponseOutcome["call"] = null;
  for (;;) {
    const { event, at } = await ctx.session.next();
    switch (event.type) {
      case "response.created":
        responseId ??= event.responseId;
        break;
      case "speech.started":
        hooks.onSpeechStarted?.(at);
        break;
      case "speech.stopped":
        hooks.onSpeechStopped?.(at);
        break;
      case "audio.delta":
        if (event.responseId !== responseId) break;
        firstAudioAt ??= at;
        ctx.trace.token(at);
        audioSamples += event.audio.length;
        hooks.onAudio?.(durationMs(audioSamples, outputRate), at);
        break;
      case "function_call.arguments.done":
        if (event.responseId === responseId) call = { callId: event.callId, at };
        break;
      case "response.done":
        if (event.responseId === responseId) return { status: event.status, reason: event.reason, doneAt: at, firstAudioAt, call };
        break;
      case "error":
        if (!TOLERATED_ERRORS.has(event.code)) throw new RequestFailure(ErrorClass.serverError, `${event.code}: ${event.message}`);
        break;
      default:
        break;
    }
  }
}

function expectCompleted(outcome: ResponseOutcome, what: string): void {
  if (outcome.status === "completed") return;
  const errorClass = outcome.status === "failed" ? ErrorClass.serverError : ErrorClass.scenarioUnmet;
  throw new RequestFailure(errorClass, `${what} ended ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ""}`);
}

/**
 * The client barged in or made noise (at `actedAt`) but the response ended before the agent showed
 * it had heard it (`heardAt`: its speech_started; 0 if none): the speech reached the agent after its
 * last audio. Either the response's end was already received when the client acted, or the client
 * read the audio too late for it to matter (a saturated event loop: the end was in its backlog).
 */
function lateReaction(response: ResponseOutcome, actedAt: number, heardAt: number, what: string): RequestFailure | null {
  if (actedAt === 0 || (heardAt !== 0 && response.doneAt > actedAt)) return null;
  const message =
    response.doneAt <= actedAt
      ? `the ${what} was sent ${(actedAt - response.doneAt).toFixed(0)} ms after the response's end had already been received`
      : `the response ended ${(response.doneAt - actedAt).toFixed(0)} ms after the ${what} was sent, before the agent showed it had heard it: it reached the agent after its last audio`;
  // At low load the same failure means an agent that does not listen while it speaks.
  return new RequestFailure(ErrorClass.lateInterruption, `${message} (the client read the agent's audio too late: load generator saturated?)`);
}

function interruptPoint(ctx: ScenarioContext): number {
  return INTERRUPT_AFTER_MS.min + ctx.draw * (INTERRUPT_AFTER_MS.max - INTERRUPT_AFTER_MS.min);
}

async function simpleQuery(ctx: ScenarioContext): Promise<void> {
  const speechEnd = await speakTurn(ctx, "query");
  const response = await watchResponse(ctx);
  expectCompleted(response, "the response");
  if (response.firstAudioAt === null) throw failure("the response completed without audio");
  ctx.trace.measure("ttfa", response.firstAudioAt - speechEnd);
  ctx.trace.measure("response_total", response.doneAt - speechEnd);
}

async function toolCall(ctx: ScenarioContext): Promise<void> {
  const speechEnd = await speakTurn(ctx, "tool_query", "required");
  try {
    const first = await watchResponse(ctx);
    expectCompleted(first, "the function-calling response");
    if (first.call === null) throw failure("the agent answered without calling the tool");
    if (ctx.toolLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.toolLatencyMs));
    ctx.session.send({ type: "tool.output", callId: first.call.callId, output: '{"balance":"42.00","currency":"EUR"}' });
    ctx.session.send({ type: "response.create" });
    const answer = await watchResponse(ctx);
    expectCompleted(answer, "the answer after the tool output");
    if (answer.firstAudioAt === null) throw failure("the answer after the tool output had no audio");
    ctx.trace.measure("tool_call", answer.firstAudioAt - first.call.at);
    ctx.trace.measure("ttfa", answer.firstAudioAt - speechEnd);
    ctx.trace.measure("response_total", answer.doneAt - speechEnd);
    ctx.trace.outcome("tool_call_success_rate", true);
  } catch (err) {
    ctx.trace.outcome("tool_call_success_rate", false);
    throw err;
  }
}

async function interruption(ctx: ScenarioContext): Promise<void> {
  const speechEnd = await speakTurn(ctx, "query");
  const interruptAt = interruptPoint(ctx);
  let interruptStart = 0;
  let interruptingQuery = null as Promise<number> | null;
  let stoppedAt = 0;
  const first = await watchResponse(ctx, {
    onAudio: (audioMs) => {
      if (interruptStart !== 0 || audioMs < interruptAt) return;
      interruptStart = nowMs();
      // Without server VAD the client itself stops the agent, as a client-side VAD would.
      if (!ctx.serverVad) ctx.session.send({ type: "response.cancel" });
      // Paced, the agent hears it (and cancels) while the rest of the query is still being spoken.
      interruptingQuery = speakTurn(ctx, "interrupting_query");
    },
    onSpeechStarted: (at) => {
      if (interruptStart !== 0 && stoppedAt === 0) stoppedAt = at;
    },
  });
  if (interruptStart === 0 || interruptingQuery === null) throw failure(`the response ended before the interruption point (${interruptAt.toFixed(0)} ms of audio)`);
  if (first.status !== "cancelled") {
    // Without server VAD nothing is heard: the client's own cancel came after the end.
    throw lateReaction(first, interruptStart, ctx.serverVad ? stoppedAt : 0, "interruption") ?? failure(`barge-in not honoured: the agent heard the interruption (speech_started) but its response ended ${first.status}`);
  }
  if (first.firstAudioAt !== null) ctx.trace.measure("ttfa", first.firstAudioAt - speechEnd);
  // The agent's audio stops when it hears the interruption (server VAD) or when it cancels.
  ctx.trace.measure("barge_in", (stoppedAt !== 0 ? stoppedAt : first.doneAt) - interruptStart);
  const queryEnd = await interruptingQuery;
  const answer = await watchResponse(ctx);
  expectCompleted(answer, "the answer to the interrupting query");
  if (answer.firstAudioAt === null) throw failure("the answer to the interrupting query had no audio");
  ctx.trace.measure("recovery", answer.firstAudioAt - queryEnd);
  ctx.trace.measure("response_total", answer.doneAt - queryEnd);
}

async function falseAlarm(ctx: ScenarioContext): Promise<void> {
  const speechEnd = await speakTurn(ctx, "query");
  const noiseAt = interruptPoint(ctx);
  let noiseStart = 0;
  let noiseEnd = null as Promise<number> | null;
  let heardAt = 0;
  let stoppedAt = 0;
  let resumedAt = 0;
  const silenceMs = (ctx.session.config?.turnDetection?.silenceDurationMs ?? 500) + APPEND_MS;
  try {
    const response = await watchResponse(ctx, {
      onAudio: (audioMs, at) => {
        if (stoppedAt !== 0 && resumedAt === 0) resumedAt = at;
        if (noiseStart !== 0 || audioMs < noiseAt) return;
        noiseStart = nowMs();
        const noise = ctx.audio.utterance("noise", ctx.utteranceIndex);
        // Server VAD ends the noise after its silence duration, heard as the audio goes on (paced:
        // in real time); a client-side VAD just drops it.
        const sound = ctx.serverVad
          ? ctx.speaker.speak([noise, silence(silenceMs, ctx.audio.sampleRate)])
          : ctx.speaker.speak(noise, { onLast: () => ctx.session.send({ type: "audio.clear" }) });
        noiseEnd = held(sound.ended.then((spoken) => spoken.partsSentAt[0]!));
      },
      onSpeechStarted: (at) => {
        if (noiseStart !== 0 && heardAt === 0) heardAt = at;
      },
      onSpeechStopped: (at) => {
        if (noiseStart !== 0 && stoppedAt === 0) stoppedAt = at;
      },
    });
    if (noiseStart === 0 || noiseEnd === null) throw failure(`the response ended before the false alarm (${noiseAt.toFixed(0)} ms of audio)`);
    if (response.status === "cancelled") throw failure("false alarm not recognised: the noise cancelled the response");
    expectCompleted(response, "the response");
    if (ctx.serverVad && resumedAt === 0) throw lateReaction(response, noiseStart, heardAt, "false-alarm noise") ?? failure("the response completed without resuming its audio after the false alarm");
    if (response.firstAudioAt !== null) ctx.trace.measure("ttfa", response.firstAudioAt - speechEnd);
    ctx.trace.measure("response_total", response.doneAt - speechEnd);
    if (resumedAt !== 0) ctx.trace.measure("resume", resumedAt - (await noiseEnd));
    ctx.trace.outcome("false_alarm_resume_rate", true);
  } catch (err) {
    ctx.trace.outcome("false_alarm_resume_rate", false);
    throw err;
  }
}

export const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<void>> = {
  simple_query: simpleQuery,
  tool_call: toolCall,
  interruption,
  false_alarm: falseAlarm,
};
