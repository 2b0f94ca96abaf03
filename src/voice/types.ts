// The voice conversation in transport-independent terms: the events a client and a voice agent
// exchange, the agent's contract, and the client's view of one connection. The realtime protocol
// (JSON over WebSocket, base64 audio) and grpc-voice (protobuf, raw bytes) are wire encodings of
// these events; the emulated agent and the client scenarios are written once, against this file.
import type { ErrorClassName } from "../errors.js";

/** Mono 16-bit PCM samples at the rate the session agreed (client audio) or the agent's output rate. */
export type Pcm16 = Int16Array;

/** Server voice-activity detection from the audio's energy (the realtime API's `server_vad`). */
export interface ServerVad {
  type: "server_vad";
  /** Speech when a frame's RMS level, as a fraction of full scale (0..1), is at or above this. */
  threshold: number;
  /** Audio kept before the detected start of speech, ms (reported in speech.started's audioStartMs). */
  prefixPaddingMs: number;
  /** This much silence after speech ends the user's turn, ms. */
  silenceDurationMs: number;
}

/** How the agent decides the user's turn is over: server VAD, or null when the client commits. */
export type TurnDetection = ServerVad | null;

/** A function the agent may call (tool use). */
export interface VoiceTool {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters?: Record<string, unknown>;
}

export interface VoiceSessionConfig {
  /** Rate of the client's input audio, Hz (24000 or 16000; the agent converts). */
  inputSampleRate: number;
  /** Rate of the agent's output audio, Hz. */
  outputSampleRate: number;
  turnDetection: TurnDetection;
  /** Speech during a response shorter than this is a false alarm (the response resumes), ms. */
  minInterruptionMs: number;
  tools: VoiceTool[];
  instructions: string;
}

export type ResponseStatus = "completed" | "cancelled" | "failed";

// --- client -> agent -------------------------------------------------------------------------

export type VoiceClientEvent =
  | { type: "session.update"; session: Partial<VoiceSessionConfig> }
  /** More of the user's audio, at the session's input rate. */
  | { type: "audio.append"; audio: Pcm16 }
  /** The user's turn is over (client-side turn detection). */
  | { type: "audio.commit" }
  /** Discard audio appended since the last commit. */
  | { type: "audio.clear" }
  /**
   * Ask for a response now (after a commit, or after a tool output). `required` makes the agent call
   * one of the session's tools first; the emulated agent never calls a tool on its own (`auto`).
   */
  | { type: "response.create"; toolChoice?: "auto" | "required" | "none" }
  | { type: "response.cancel" }
  /** The result of a function call the agent asked for; a response.create continues the answer. */
  | { type: "tool.output"; callId: string; output: string }
  /** The client played only this much of an agent item (barge-in bookkeeping). */
  | { type: "truncate"; itemId: string; audioEndMs: number };

export type VoiceClientEventType = VoiceClientEvent["type"];

// --- agent -> client -------------------------------------------------------------------------

export type VoiceServerEvent =
  | { type: "session.created"; sessionId: string; session: VoiceSessionConfig }
  | { type: "session.updated"; session: VoiceSessionConfig }
  /** VAD heard speech start; audioStartMs is the position in the input buffer (prefix padding included). */
  | { type: "speech.started"; itemId: string; audioStartMs: number }
  | { type: "speech.stopped"; itemId: string; audioEndMs: number }
  /** The user's audio became a conversation item (by commit or VAD). */
  | { type: "audio.committed"; itemId: string }
  /** Acknowledges audio.clear. */
  | { type: "audio.cleared" }
  | { type: "response.created"; responseId: string }
  | { type: "audio.delta"; responseId: string; itemId: string; audio: Pcm16 }
  | { type: "audio.done"; responseId: string; itemId: string }
  | { type: "transcript.delta"; responseId: string; itemId: string; delta: string }
  | { type: "function_call.arguments.done"; responseId: string; itemId: string; callId: string; name: string; arguments: string }
  | { type: "response.done"; responseId: string; status: ResponseStatus; reason?: string }
  | { type: "error"; code: string; message: string };

export type VoiceServerEventType = VoiceServerEvent["type"];

// --- the agent ---------------------------------------------------------------------------------

/** Timing and behaviour of the emulated agent (flags of `tokenstorm emulate`). */
export interface VoiceAgentOptions {
  /** User speech end (commit or VAD stop) to the transcript being final, ms. */
  sttMs: number;
  /** Transcript to the LLM's first token, ms. */
  llmFirstTokenMs: number;
  /** LLM first token to the first synthesized audio, ms. Their sum with sttMs is the TTFA. */
  ttsFirstAudioMs: number;
  /** Length of each spoken answer, ms of audio. */
  responseAudioMs: number;
  /** Audio per delta event, ms. */
  chunkMs: number;
  /** Playback speed: 1 paces audio in real time, 10 sends it ten times faster. */
  pace: number;
  /** The agent's output rate, Hz. */
  outputSampleRate: number;
  /** Default of the session's minInterruptionMs. */
  minInterruptionMs: number;
  /** Default turn detection of a new session. */
  turnDetection: TurnDetection;
  /** Failure injection, probabilities per response (0..1). */
  errorRate: number;
  dropRate: number;
  slowStartRate: number;
  /** Extra delay before the first audio of a slow start, ms. */
  slowStartMs: number;
  /** Start of a tool-calling response to its function call arguments being done (the LLM choosing the tool), ms. */
  toolCallMs: number;
  /** Seed of the failure draws, for replayable runs. */
  seed: number;
}

/** Counts the emulator reports on /stats: responses by final status, barge-ins, false alarms. */
export interface VoiceAgentStats {
  sessions: number;
  responses: Record<ResponseStatus, number>;
  interruptions: number;
  falseAlarms: number;
  toolCalls: number;
  drops: number;
}

/**
 * The emulated agent of one session. The transport decodes client events and calls `handle`; the
 * agent answers through `send` (in order, timed by the emulator's timing wheel), calls `drop` when
 * failure injection cuts the connection, and stops all activity on `close`.
 */
export interface VoiceAgentContract {
  handle(event: VoiceClientEvent): void;
  close(): void;
}

/** How the agent answers: one event at a time, in order. */
export type VoiceSend = (event: VoiceServerEvent) => void;

// --- the client's connection ------------------------------------------------------------------

/** Why a connection ended: null for a close the client asked for, else a classified failure. */
export interface VoiceConnectionEnd {
  /** `stream_aborted` for a connection lost mid-conversation, `reset`, `malformed`, `grpc_<status>`... */
  errorClass: ErrorClassName;
  message: string;
}

/**
 * One open voice connection as the client scenarios see it. Transport drivers (WebSocket, gRPC)
 * implement it; arrival times are taken by the transport with nowMs() when bytes arrive.
 */
export interface VoiceConnection {
  send(event: VoiceClientEvent): void;
  /** Every server event, in order, with its arrival time. One listener. */
  onEvent(listener: (event: VoiceServerEvent, at: number) => void): void;
  /** Called once when the connection ends by either side. One listener. */
  onEnd(listener: (end: VoiceConnectionEnd | null) => void): void;
  close(): void;
}

/** Opens connections for a transport; `connectMs` feeds the `connect` metric. */
export interface VoiceDialer {
  /** Open a connection; `signal` aborts a dial still under way (the run was stopped), rejecting it as `cancelled`. */
  dial(signal?: AbortSignal): Promise<{ connection: VoiceConnection; connectMs: number }>;
}
