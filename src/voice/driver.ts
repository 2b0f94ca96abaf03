// The ProtocolDriver of every voice transport: one session (connection) per virtual client, kept
// across its requests as seed 003's clients do; each request runs its scenario (the request type)
// on that session under the scenario's time limit. A lost connection fails the request in flight
// and the client's next request dials again.
import { nowMs } from "../clock.js";
import { ErrorClass, RequestFailure } from "../errors.js";
import type { AudioLibrary } from "../audio/library.js";
import type { RequestTrace } from "../metrics/trace.js";
import type { DriverOptions, ProtocolDriver, RequestSpec } from "../protocols/types.js";
import { VoiceClientSession } from "./client-session.js";
import type { Speaker, SpeechPacing } from "./pacing.js";
import { requestDraw, SCENARIOS, type ScenarioName } from "./plan.js";
import { SCENARIO_RUNNERS, SCENARIO_TIMEOUT_MS, speakerFor, TOOL_NAME } from "./scenarios.js";
import type { VoiceDialer } from "./types.js";

export interface VoiceDriverSettings {
  audio: AudioLibrary;
  serverVad: boolean;
  toolLatencyMs: number;
  /** burst (the default): each utterance at once; realtime: each append when its audio would have been spoken. */
  speechPacing?: SpeechPacing;
  seed: number;
  /** Requests per session when known: the session closes after its last one. */
  requestsPerSession: number | null;
}

function isScenario(type: string): type is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(type);
}

export class VoiceDriver implements ProtocolDriver {
  private readonly sessions = new Map<number, Promise<VoiceClientSession>>();
  /** Requests in flight: their session, and their speech (which may still be going out). */
  private readonly active = new Map<VoiceClientSession, Speaker>();
  private cancelled = false;
  /** Stops dials still under way when the run is stopped, so that the report need not wait for them. */
  private readonly stopDials = new AbortController();
  /** Sessions dialed and not yet started (waiting for session.created). */
  private readonly starting = new Set<VoiceClientSession>();

  constructor(
    private readonly dialer: VoiceDialer,
    private readonly options: DriverOptions,
    private readonly settings: VoiceDriverSettings,
  ) {}

  async execute(spec: RequestSpec, trace: RequestTrace): Promise<void> {
    trace.dispatched(nowMs());
    const scenario: ScenarioName = isScenario(spec.type) ? spec.type : "simple_query";
    let session: VoiceClientSession;
    try {
      session = await this.sessionFor(trace.client);
    } catch (err) {
      this.fail(trace, err);
      return;
    }
    const limitMs = Math.min(SCENARIO_TIMEOUT_MS[scenario], this.options.timeoutMs);
    const timer = setTimeout(() => session.interrupt(ErrorClass.timeout, `${scenario} took longer than ${limitMs} ms`), limitMs);
    const speaker = speakerFor(this.settings.speechPacing ?? "burst", session, trace, this.settings.audio.sampleRate);
    this.active.set(session, speaker);
    try {
      session.discardPending();
      await SCENARIO_RUNNERS[scenario]({
        session,
        trace,
        audio: this.settings.audio,
        serverVad: this.settings.serverVad,
        toolLatencyMs: this.settings.toolLatencyMs,
        // Not the scenario's own draw (that picked the scenario): a second one for where to interrupt.
        draw: requestDraw(this.settings.seed ^ 0x5bd1e995, trace.client, trace.cycle),
        // Files of --audio-dir in turn across clients and cycles, independent of timing.
        utteranceIndex: trace.client + trace.cycle,
        speaker,
      });
      // Speech still going out (the silence after a false alarm's noise) ends before the next request speaks.
      await speaker.settle();
    } catch (err) {
      speaker.cancel(new RequestFailure(ErrorClass.cancelled, "the request ended"));
      this.fail(trace, err);
      // After a failure the conversation's state is unknown: start the next request afresh.
      this.closeSession(trace.client, session);
    } finally {
      clearTimeout(timer);
      this.active.delete(session);
      trace.endAt = nowMs();
      // How far behind its schedule the request's speech went out: a saturated client shows here.
      if (speaker.worstLagMs !== null) trace.measure("speech_lag", speaker.worstLagMs);
    }
    const perSession = this.settings.requestsPerSession;
    if (perSession !== null && trace.cycle >= perSession - 1) this.closeSession(trace.client, session);
  }

  cancelAll(): void {
    this.cancelled = true;
    this.stopDials.abort();
    for (const session of this.starting) session.interrupt(ErrorClass.cancelled, "the run was stopped");
    for (const [session, speaker] of this.active) {
      session.interrupt(ErrorClass.cancelled, "the run was stopped");
      speaker.cancel(new RequestFailure(ErrorClass.cancelled, "the run was stopped"));
    }
  }

  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    for (const result of sessions) if (result.status === "fulfilled") result.value.close();
    this.sessions.clear();
  }

  private fail(trace: RequestTrace, err: unknown): void {
    if (this.cancelled) trace.fail(ErrorClass.cancelled, "the run was stopped");
    else if (err instanceof RequestFailure) trace.fail(err.errorClass, err.message);
    else trace.fail(ErrorClass.other, err instanceof Error ? err.message : String(err));
  }

  private closeSession(client: number, session: VoiceClientSession): void {
    session.close();
    this.sessions.delete(client);
  }

  private sessionFor(client: number): Promise<VoiceClientSession> {
    let pending = this.sessions.get(client);
    if (pending) {
      const existing = pending;
      pending = existing.then((session) => (session.open ? session : this.open(client)));
    } else {
      pending = this.open(client);
    }
    this.sessions.set(client, pending);
    // A failed dial is not kept: the next request dials again.
    pending.catch(() => this.sessions.delete(client));
    return pending;
  }

  private async open(client: number): Promise<VoiceClientSession> {
    let connectMs: number;
    let session: VoiceClientSession;
    try {
      const dialed = await this.dialer.dial(this.stopDials.signal);
      connectMs = dialed.connectMs;
      session = new VoiceClientSession(dialed.connection);
    } catch (err) {
      this.options.onConnect(null);
      throw err;
    }
    this.options.onConnect(connectMs);
    this.options.onClientConnected?.(client, connectMs);
    const limit = setTimeout(() => session.interrupt(ErrorClass.timeoutHeaders, `no session within ${this.options.connectTimeoutMs} ms`), this.options.connectTimeoutMs);
    this.starting.add(session);
    try {
      if (this.cancelled) session.interrupt(ErrorClass.cancelled, "the run was stopped");
      await session.start({ inputSampleRate: this.settings.audio.sampleRate, serverVad: this.settings.serverVad, tools: [TOOL_NAME] });
    } catch (err) {
      session.close();
      throw err;
    } finally {
      clearTimeout(limit);
      this.starting.delete(session);
    }
    return session;
  }
}
