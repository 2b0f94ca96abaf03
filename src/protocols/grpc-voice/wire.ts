// The grpc-voice wire mapping: transport-independent voice events (src/voice/types.ts) to and from
// the protobuf messages of proto/voice/v1/voice.proto, as plain objects for @grpc/proto-loader
// (snake_case fields, bytes as Buffers, enums by name, unset fields absent). Audio crosses as raw
// PCM16 little-endian bytes, viewed in place when aligned (src/audio/pcm.ts).
import { bytesToPcm, pcmToBytes } from "../../audio/pcm.js";
import { VOICE_AGENT_DEFAULTS } from "../../voice/host.js";
import type { Pcm16, ResponseStatus, ServerVad, VoiceClientEvent, VoiceServerEvent, VoiceSessionConfig, VoiceTool } from "../../voice/types.js";

/** The wire's audio rate unless a session says otherwise, Hz (seed 002's gateway: PCM16 16 kHz mono). */
export const WIRE_SAMPLE_RATE = 16000;

type Fields = Record<string, unknown>;
/** VAD settings for a SERVER_VAD config that leaves them at 0 on a session that had none. */
const DEFAULT_VAD = VOICE_AGENT_DEFAULTS.turnDetection as ServerVad;
/** One message of the ClientEvent / ServerEvent oneof: `{ <member>: {...fields} }`. */
export type WireEvent = Record<string, Fields | string | undefined>;

/** Audio bytes of a message (absent when a peer sent none) as samples. */
function samplesOf(bytes: unknown): Pcm16 {
  return bytes instanceof Uint8Array ? bytesToPcm(bytes) : new Int16Array(0);
}

// ---------------------------------------------------------------- session config

function definedOnly(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));
}

export function sessionToWire(session: Partial<VoiceSessionConfig>): Fields {
  const detection = session.turnDetection;
  return definedOnly({
    input_sample_rate_hz: session.inputSampleRate,
    output_sample_rate_hz: session.outputSampleRate,
    instructions: session.instructions,
    tools: session.tools?.map((tool) => definedOnly({ name: tool.name, description: tool.description, parameters_json: tool.parameters ? JSON.stringify(tool.parameters) : undefined })),
    turn_detection:
      detection === undefined
        ? undefined
        : detection === null
          ? { mode: "CLIENT" }
          : { mode: "SERVER_VAD", threshold: detection.threshold, prefix_padding_ms: detection.prefixPaddingMs, silence_duration_ms: detection.silenceDurationMs },
    min_interruption_ms: session.minInterruptionMs,
  });
}

function parseJsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === "number" && value > 0 ? value : undefined;
}

/** Server VAD from the wire; a zero value keeps what `current` has, else VAD's usual settings. */
function vadFromWire(fields: Fields, current: ServerVad | null): ServerVad {
  const base = current ?? DEFAULT_VAD;
  return {
    type: "server_vad",
    threshold: positive(fields.threshold) ?? base.threshold,
    prefixPaddingMs: positive(fields.prefix_padding_ms) ?? base.prefixPaddingMs,
    silenceDurationMs: positive(fields.silence_duration_ms) ?? base.silenceDurationMs,
  };
}

/**
 * A config from the wire as a partial session update: zero or absent values keep the current
 * setting (`current`: the session in force, when known).
 */
export function sessionFromWire(fields: Fields | undefined, current?: VoiceSessionConfig): Partial<VoiceSessionConfig> {
  const f = fields ?? {};
  const session: Partial<VoiceSessionConfig> = {};
  const inputRate = positive(f.input_sample_rate_hz);
  const outputRate = positive(f.output_sample_rate_hz);
  const minInterruption = positive(f.min_interruption_ms);
  if (inputRate) session.inputSampleRate = inputRate;
  if (outputRate) session.outputSampleRate = outputRate;
  if (minInterruption) session.minInterruptionMs = minInterruption;
  if (typeof f.instructions === "string" && f.instructions !== "") session.instructions = f.instructions;
  if (Array.isArray(f.tools) && f.tools.length > 0) {
    session.tools = (f.tools as Fields[]).map((tool): VoiceTool => {
      const parameters = parseJsonObject(tool.parameters_json);
      return { name: String(tool.name ?? ""), ...(tool.description ? { description: String(tool.description) } : {}), ...(parameters ? { parameters } : {}) };
    });
  }
  const detection = f.turn_detection as Fields | undefined;
  if (detection?.mode === "CLIENT") session.turnDetection = null;
  else if (detection?.mode === "SERVER_VAD") session.turnDetection = vadFromWire(detection, current?.turnDetection ?? null);
  return session;
}

// ---------------------------------------------------------------- client events

type ToolChoice = NonNullable<Extract<VoiceClientEvent, { type: "response.create" }>["toolChoice"]>;
const TOOL_CHOICE_TO_WIRE: Record<ToolChoice, string> = { auto: "TOOL_CHOICE_AUTO", required: "TOOL_CHOICE_REQUIRED", none: "TOOL_CHOICE_NONE" };
const TOOL_CHOICE_FROM_WIRE: Record<string, ToolChoice> = { TOOL_CHOICE_AUTO: "auto", TOOL_CHOICE_REQUIRED: "required", TOOL_CHOICE_NONE: "none" };

/** speech_end: the end of a user turn, which also asks for the answer (with the response's tool choice). */
export function speechEndToWire(toolChoice: ToolChoice | undefined): WireEvent {
  return { speech_end: toolChoice && toolChoice !== "auto" ? { tool_choice: TOOL_CHOICE_TO_WIRE[toolChoice] } : {} };
}

/**
 * A client event as a ClientEvent message, or null when the wire has no such event of its own:
 * audio.commit + response.create travel together as speech_end (GrpcVoiceConnection pairs them),
 * and tool_result already continues the response.
 */
export function clientEventToWire(event: VoiceClientEvent): WireEvent | null {
  switch (event.type) {
    case "session.update":
      return { config: sessionToWire(event.session) };
    case "audio.append":
      return { audio: { pcm16: pcmToBytes(event.audio) } };
    case "audio.commit":
      return speechEndToWire(undefined);
    case "audio.clear":
      return { clear_audio: {} };
    case "response.create":
      return null;
    case "response.cancel":
      return { cancel: {} };
    case "tool.output":
      return { tool_result: { call_id: event.callId, output: event.output } };
    case "truncate":
      return { truncate: { item_id: event.itemId, audio_end_ms: Math.max(0, Math.round(event.audioEndMs)) } };
  }
}

/** What the gateway hands its agent for one ClientEvent (speech_end and tool_result ask for a response too). */
export function clientEventFromWire(message: WireEvent, current?: VoiceSessionConfig): VoiceClientEvent[] {
  const f = (name: string): Fields | undefined => message[name] as Fields | undefined;
  if (message.config) return [{ type: "session.update", session: sessionFromWire(f("config"), current) }];
  if (message.audio) return [{ type: "audio.append", audio: samplesOf(f("audio")!.pcm16) }];
  if (message.speech_end) {
    const toolChoice = TOOL_CHOICE_FROM_WIRE[String(f("speech_end")!.tool_choice ?? "")];
    return [{ type: "audio.commit" }, { type: "response.create", ...(toolChoice ? { toolChoice } : {}) }];
  }
  if (message.clear_audio) return [{ type: "audio.clear" }];
  if (message.cancel) return [{ type: "response.cancel" }];
  if (message.tool_result) {
    const result = f("tool_result")!;
    return [{ type: "tool.output", callId: String(result.call_id ?? ""), output: String(result.output ?? "") }, { type: "response.create" }];
  }
  if (message.truncate) {
    const truncate = f("truncate")!;
    return [{ type: "truncate", itemId: String(truncate.item_id ?? ""), audioEndMs: Number(truncate.audio_end_ms ?? 0) }];
  }
  // speech_start is informational (the agent hears barge-in in the audio); unknown events are ignored.
  return [];
}

// ---------------------------------------------------------------- server events

const STATUS_TO_WIRE: Record<ResponseStatus, string> = { completed: "COMPLETED", cancelled: "CANCELLED", failed: "FAILED" };
const STATUS_FROM_WIRE: Record<string, ResponseStatus> = { COMPLETED: "completed", CANCELLED: "cancelled", FAILED: "failed" };

export function serverEventToWire(event: VoiceServerEvent): WireEvent {
  switch (event.type) {
    case "session.created":
      return { session_started: { session_id: event.sessionId, config: sessionToWire(event.session) } };
    case "session.updated":
      return { session_updated: { config: sessionToWire(event.session) } };
    case "speech.started":
      return { speech_started: { item_id: event.itemId, audio_ms: Math.round(event.audioStartMs) } };
    case "speech.stopped":
      return { speech_stopped: { item_id: event.itemId, audio_ms: Math.round(event.audioEndMs) } };
    case "audio.committed":
      return { turn_committed: { item_id: event.itemId } };
    case "audio.cleared":
      return { audio_cleared: {} };
    case "response.created":
      return { response_started: { response_id: event.responseId } };
    case "audio.delta":
      return { audio: { response_id: event.responseId, item_id: event.itemId, pcm16: pcmToBytes(event.audio) } };
    case "audio.done":
      return { audio_done: { response_id: event.responseId, item_id: event.itemId } };
    case "transcript.delta":
      return { transcript: { role: "ASSISTANT", response_id: event.responseId, item_id: event.itemId, text: event.delta, final: false } };
    case "function_call.arguments.done":
      return { tool_call: { response_id: event.responseId, item_id: event.itemId, call_id: event.callId, name: event.name, arguments_json: event.arguments } };
    case "response.done":
      return { response_done: definedOnly({ response_id: event.responseId, status: STATUS_TO_WIRE[event.status], reason: event.reason }) };
    case "error":
      return { error: { code: event.code, message: event.message } };
  }
}

function text(fields: Fields, name: string): string {
  const value = fields[name];
  return typeof value === "string" ? value : "";
}

/**
 * A ServerEvent from the wire as a voice event; null for events the client does not act on (USER
 * transcripts, a final ASSISTANT transcript repeating its deltas, members a user's proto adds).
 */
export function serverEventFromWire(message: WireEvent): VoiceServerEvent | null {
  const get = (name: string): Fields | null => (message[name] && typeof message[name] === "object" ? (message[name] as Fields) : null);
  let f: Fields | null;
  if ((f = get("audio"))) return { type: "audio.delta", responseId: text(f, "response_id"), itemId: text(f, "item_id"), audio: samplesOf(f.pcm16) };
  if ((f = get("transcript"))) {
    if (f.role === "USER" || f.final === true) return null;
    return { type: "transcript.delta", responseId: text(f, "response_id"), itemId: text(f, "item_id"), delta: text(f, "text") };
  }
  if ((f = get("response_done"))) {
    const status = STATUS_FROM_WIRE[text(f, "status")] ?? "failed";
    const reason = text(f, "reason");
    return { type: "response.done", responseId: text(f, "response_id"), status, ...(reason ? { reason } : {}) };
  }
  if ((f = get("response_started"))) return { type: "response.created", responseId: text(f, "response_id") };
  if ((f = get("audio_done"))) return { type: "audio.done", responseId: text(f, "response_id"), itemId: text(f, "item_id") };
  if ((f = get("tool_call"))) {
    return { type: "function_call.arguments.done", responseId: text(f, "response_id"), itemId: text(f, "item_id"), callId: text(f, "call_id"), name: text(f, "name"), arguments: text(f, "arguments_json") };
  }
  if ((f = get("turn_committed"))) return { type: "audio.committed", itemId: text(f, "item_id") };
  if (get("audio_cleared")) return { type: "audio.cleared" };
  if ((f = get("speech_started"))) return { type: "speech.started", itemId: text(f, "item_id"), audioStartMs: Number(f.audio_ms ?? 0) };
  if ((f = get("speech_stopped"))) return { type: "speech.stopped", itemId: text(f, "item_id"), audioEndMs: Number(f.audio_ms ?? 0) };
  if ((f = get("session_started"))) return { type: "session.created", sessionId: text(f, "session_id"), session: fullSession(f.config as Fields | undefined) };
  if ((f = get("session_updated"))) return { type: "session.updated", session: fullSession(f.config as Fields | undefined) };
  if ((f = get("error"))) return { type: "error", code: text(f, "code") || "error", message: text(f, "message") };
  return null;
}

/** The session in force as the gateway reported it; what it left out takes the protocol's defaults. */
function fullSession(fields: Fields | undefined): VoiceSessionConfig {
  const partial = sessionFromWire(fields);
  return {
    inputSampleRate: partial.inputSampleRate ?? WIRE_SAMPLE_RATE,
    outputSampleRate: partial.outputSampleRate ?? WIRE_SAMPLE_RATE,
    turnDetection: partial.turnDetection ?? null,
    minInterruptionMs: partial.minInterruptionMs ?? 0,
    tools: partial.tools ?? [],
    instructions: partial.instructions ?? "",
  };
}
