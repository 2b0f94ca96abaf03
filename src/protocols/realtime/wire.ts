// The realtime protocol's JSON events (a subset of the OpenAI Realtime API, docs/realtime.md) and
// their mapping to the transport-independent voice events of src/voice/types.ts, both directions.
// Audio travels as base64 of little-endian PCM16 mono. Decoders accept the GA event names and the
// older beta names (response.audio.delta, top-level turn_detection) so real servers of either
// vintage can be tested; encoders write the GA names.
import { base64ToPcm, pcmToBase64 } from "../../audio/pcm.js";
import type { ServerVad, TurnDetection, VoiceClientEvent, VoiceServerEvent, VoiceSessionConfig, VoiceTool } from "../../voice/types.js";

/** Input rates the protocol accepts: the API's 24 kHz, and 16 kHz (converted by the agent). */
export const REALTIME_SAMPLE_RATES = [24000, 16000] as const;
export const REALTIME_PATH = "/v1/realtime";

type Json = Record<string, unknown>;

/** A client event the server could not accept; it answers with an `error` event and carries on. */
export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

// --- session configuration ---------------------------------------------------------------------

function encodeTurnDetection(detection: TurnDetection): Json | null {
  if (detection === null) return null;
  return {
    type: "server_vad",
    threshold: detection.threshold,
    prefix_padding_ms: detection.prefixPaddingMs,
    silence_duration_ms: detection.silenceDurationMs,
    create_response: true,
    interrupt_response: true,
  };
}

function decodeTurnDetection(value: unknown, current: TurnDetection): TurnDetection {
  if (value === null) return null;
  const json = object(value);
  if (!json) throw new WireError("invalid_value", "turn_detection must be an object or null");
  if (json["type"] !== undefined && json["type"] !== "server_vad") {
    throw new WireError("invalid_value", `turn_detection.type "${String(json["type"])}" is not supported (supported: server_vad)`);
  }
  const base: ServerVad = current ?? { type: "server_vad", threshold: 0.02, prefixPaddingMs: 300, silenceDurationMs: 500 };
  return {
    type: "server_vad",
    threshold: num(json["threshold"]) ?? base.threshold,
    prefixPaddingMs: num(json["prefix_padding_ms"]) ?? base.prefixPaddingMs,
    silenceDurationMs: num(json["silence_duration_ms"]) ?? base.silenceDurationMs,
  };
}

function decodeRate(format: unknown, direction: string): number | undefined {
  if (format === undefined) return undefined;
  if (format === "pcm16") return 24000;
  const json = object(format);
  if (!json || (json["type"] !== undefined && json["type"] !== "audio/pcm")) {
    throw new WireError("invalid_value", `audio.${direction}.format must be {"type":"audio/pcm","rate":24000|16000}`);
  }
  const rate = json["rate"] ?? 24000;
  if (!(REALTIME_SAMPLE_RATES as readonly unknown[]).includes(rate)) {
    throw new WireError("invalid_value", `audio.${direction}.format.rate must be one of ${REALTIME_SAMPLE_RATES.join(", ")} (got ${String(rate)})`);
  }
  return rate as number;
}

export function encodeSession(session: Partial<VoiceSessionConfig>): Json {
  const input: Json = {};
  if (session.inputSampleRate !== undefined) input["format"] = { type: "audio/pcm", rate: session.inputSampleRate };
  if (session.turnDetection !== undefined) input["turn_detection"] = encodeTurnDetection(session.turnDetection);
  if (session.minInterruptionMs !== undefined) input["min_interruption_ms"] = session.minInterruptionMs;
  const json: Json = { type: "realtime", audio: { input, ...(session.outputSampleRate !== undefined ? { output: { format: { type: "audio/pcm", rate: session.outputSampleRate } } } : {}) } };
  if (session.instructions !== undefined) json["instructions"] = session.instructions;
  if (session.tools !== undefined) json["tools"] = session.tools.map((tool) => ({ type: "function", ...tool }));
  return json;
}

/** A session.update's `session` as changes to `current` (GA `audio.input.*` or beta top-level fields). */
export function decodeSessionUpdate(value: unknown, current: VoiceSessionConfig): Partial<VoiceSessionConfig> {
  const json = object(value);
  if (!json) throw new WireError("invalid_value", "session.update needs a session object");
  const input = object(object(json["audio"])?.["input"]) ?? {};
  const changes: Partial<VoiceSessionConfig> = {};
  const rate = decodeRate(input["format"] ?? json["input_audio_format"], "input");
  if (rate !== undefined) changes.inputSampleRate = rate;
  const detection = "turn_detection" in input ? input["turn_detection"] : "turn_detection" in json ? json["turn_detection"] : undefined;
  if (detection !== undefined) changes.turnDetection = decodeTurnDetection(detection, current.turnDetection);
  const minInterruption = num(input["min_interruption_ms"]);
  if (minInterruption !== undefined) changes.minInterruptionMs = minInterruption;
  const instructions = str(json["instructions"]);
  if (instructions !== undefined) changes.instructions = instructions;
  if (Array.isArray(json["tools"])) {
    changes.tools = json["tools"].map((tool): VoiceTool => {
      const t = object(tool);
      const name = str(t?.["name"]);
      if (!name) throw new WireError("invalid_value", "every tool needs a name");
      return { name, ...(str(t?.["description"]) ? { description: str(t?.["description"])! } : {}) };
    });
  }
  return changes;
}

function decodeSession(value: unknown): VoiceSessionConfig {
  const fallback: VoiceSessionConfig = { inputSampleRate: 24000, outputSampleRate: 24000, turnDetection: null, minInterruptionMs: 0, tools: [], instructions: "" };
  const json = object(value);
  if (!json) return fallback;
  const changes = decodeSessionUpdate(json, fallback);
  const output = object(object(object(json["audio"])?.["output"])?.["format"]);
  return { ...fallback, ...changes, outputSampleRate: num(output?.["rate"]) ?? 24000 };
}

// --- client events -----------------------------------------------------------------------------

export function encodeClientEvent(event: VoiceClientEvent): string {
  switch (event.type) {
    case "session.update":
      return JSON.stringify({ type: "session.update", session: encodeSession(event.session) });
    case "audio.append":
      return JSON.stringify({ type: "input_audio_buffer.append", audio: pcmToBase64(event.audio) });
    case "audio.commit":
      return '{"type":"input_audio_buffer.commit"}';
    case "audio.clear":
      return '{"type":"input_audio_buffer.clear"}';
    case "response.create":
      return JSON.stringify({ type: "response.create", ...(event.toolChoice ? { response: { tool_choice: event.toolChoice } } : {}) });
    case "response.cancel":
      return '{"type":"response.cancel"}';
    case "tool.output":
      return JSON.stringify({ type: "conversation.item.create", item: { type: "function_call_output", call_id: event.callId, output: event.output } });
    case "truncate":
      return JSON.stringify({ type: "conversation.item.truncate", item_id: event.itemId, content_index: 0, audio_end_ms: event.audioEndMs });
  }
}

/** Parse one client message; throws WireError for anything outside the subset. */
export function decodeClientEvent(text: string, session: VoiceSessionConfig): VoiceClientEvent {
  let json: Json | undefined;
  try {
    json = object(JSON.parse(text));
  } catch {
    throw new WireError("invalid_json", "the message is not valid JSON");
  }
  if (!json) throw new WireError("invalid_event", "an event must be a JSON object");
  const type = json["type"];
  switch (type) {
    case "session.update":
      return { type: "session.update", session: decodeSessionUpdate(json["session"], session) };
    case "input_audio_buffer.append": {
      const audio = str(json["audio"]);
      if (audio === undefined) throw new WireError("invalid_value", "input_audio_buffer.append needs audio (base64 PCM16)");
      return { type: "audio.append", audio: base64ToPcm(audio) };
    }
    case "input_audio_buffer.commit":
      return { type: "audio.commit" };
    case "input_audio_buffer.clear":
      return { type: "audio.clear" };
    case "response.create": {
      const choice = object(json["response"])?.["tool_choice"];
      return choice === "required" || choice === "auto" || choice === "none" ? { type: "response.create", toolChoice: choice } : { type: "response.create" };
    }
    case "response.cancel":
      return { type: "response.cancel" };
    case "conversation.item.create": {
      const item = object(json["item"]);
      const callId = str(item?.["call_id"]);
      if (item?.["type"] !== "function_call_output" || callId === undefined) {
        throw new WireError("unsupported_item", "conversation.item.create accepts only function_call_output items with a call_id");
      }
      return { type: "tool.output", callId, output: str(item["output"]) ?? "" };
    }
    case "conversation.item.truncate":
      return { type: "truncate", itemId: str(json["item_id"]) ?? "", audioEndMs: num(json["audio_end_ms"]) ?? 0 };
    default:
      throw new WireError("unknown_event", `event type "${String(type)}" is not supported`);
  }
}

// --- server events -----------------------------------------------------------------------------

/** Base64 of the shared voice chunk is computed once, not once per delta. */
const base64Cache = new WeakMap<Int16Array, string>();

function audioBase64(pcm: Int16Array): string {
  let text = base64Cache.get(pcm);
  if (text === undefined) {
    text = pcmToBase64(pcm);
    base64Cache.set(pcm, text);
  }
  return text;
}

export function encodeServerEvent(event: VoiceServerEvent, eventId: string): string {
  const head = { event_id: eventId };
  switch (event.type) {
    case "session.created":
      return JSON.stringify({ type: "session.created", ...head, session: { id: event.sessionId, ...encodeSession(event.session) } });
    case "session.updated":
      return JSON.stringify({ type: "session.updated", ...head, session: encodeSession(event.session) });
    case "speech.started":
      return JSON.stringify({ type: "input_audio_buffer.speech_started", ...head, audio_start_ms: event.audioStartMs, item_id: event.itemId });
    case "speech.stopped":
      return JSON.stringify({ type: "input_audio_buffer.speech_stopped", ...head, audio_end_ms: event.audioEndMs, item_id: event.itemId });
    case "audio.committed":
      return JSON.stringify({ type: "input_audio_buffer.committed", ...head, item_id: event.itemId });
    case "audio.cleared":
      return JSON.stringify({ type: "input_audio_buffer.cleared", ...head });
    case "response.created":
      return JSON.stringify({ type: "response.created", ...head, response: { id: event.responseId, object: "realtime.response", status: "in_progress" } });
    case "audio.delta":
      return `{"type":"response.output_audio.delta","event_id":"${eventId}","response_id":"${event.responseId}","item_id":"${event.itemId}","output_index":0,"content_index":0,"delta":"${audioBase64(event.audio)}"}`;
    case "audio.done":
      return JSON.stringify({ type: "response.output_audio.done", ...head, response_id: event.responseId, item_id: event.itemId, output_index: 0, content_index: 0 });
    case "transcript.delta":
      return JSON.stringify({ type: "response.output_audio_transcript.delta", ...head, response_id: event.responseId, item_id: event.itemId, output_index: 0, content_index: 0, delta: event.delta });
    case "function_call.arguments.done":
      return JSON.stringify({
        type: "response.function_call_arguments.done",
        ...head,
        response_id: event.responseId,
        item_id: event.itemId,
        output_index: 0,
        call_id: event.callId,
        name: event.name,
        arguments: event.arguments,
      });
    case "response.done":
      return JSON.stringify({
        type: "response.done",
        ...head,
        response: { id: event.responseId, object: "realtime.response", status: event.status, ...(event.reason ? { status_details: { type: event.status, reason: event.reason } } : {}) },
      });
    case "error":
      return JSON.stringify({ type: "error", ...head, error: { type: event.code === "server_error" ? "server_error" : "invalid_request_error", code: event.code, message: event.message } });
  }
}

/** Parse one server message; null for events outside the subset (a real server sends many more). */
export function decodeServerEvent(text: string): VoiceServerEvent | null {
  const json = object(JSON.parse(text));
  if (!json) throw new Error("a server event must be a JSON object");
  const responseId = str(json["response_id"]) ?? "";
  const itemId = str(json["item_id"]) ?? "";
  switch (json["type"]) {
    case "session.created":
      return { type: "session.created", sessionId: str(object(json["session"])?.["id"]) ?? "", session: decodeSession(json["session"]) };
    case "session.updated":
      return { type: "session.updated", session: decodeSession(json["session"]) };
    case "input_audio_buffer.speech_started":
      return { type: "speech.started", itemId, audioStartMs: num(json["audio_start_ms"]) ?? 0 };
    case "input_audio_buffer.speech_stopped":
      return { type: "speech.stopped", itemId, audioEndMs: num(json["audio_end_ms"]) ?? 0 };
    case "input_audio_buffer.committed":
      return { type: "audio.committed", itemId };
    case "input_audio_buffer.cleared":
      return { type: "audio.cleared" };
    case "response.created":
      return { type: "response.created", responseId: str(object(json["response"])?.["id"]) ?? "" };
    case "response.output_audio.delta":
    case "response.audio.delta":
      return { type: "audio.delta", responseId, itemId, audio: base64ToPcm(str(json["delta"]) ?? "") };
    case "response.output_audio.done":
    case "response.audio.done":
      return { type: "audio.done", responseId, itemId };
    case "response.output_audio_transcript.delta":
    case "response.audio_transcript.delta":
      return { type: "transcript.delta", responseId, itemId, delta: str(json["delta"]) ?? "" };
    case "response.function_call_arguments.done":
      return { type: "function_call.arguments.done", responseId, itemId, callId: str(json["call_id"]) ?? "", name: str(json["name"]) ?? "", arguments: str(json["arguments"]) ?? "" };
    case "response.done": {
      const response = object(json["response"]);
      const status = response?.["status"];
      const reason = str(object(response?.["status_details"])?.["reason"]);
      return {
        type: "response.done",
        responseId: str(response?.["id"]) ?? "",
        // "incomplete" (token limit, content filter) is not a success the scenarios can build on.
        status: status === "completed" || status === "cancelled" ? status : "failed",
        ...(reason ? { reason } : {}),
      };
    }
    case "error": {
      const error = object(json["error"]);
      return { type: "error", code: str(error?.["code"]) ?? str(error?.["type"]) ?? "error", message: str(error?.["message"]) ?? "" };
    }
    default:
      return null;
  }
}
