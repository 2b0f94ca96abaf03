// The voice emulator on /v1/realtime, spoken to over raw WebSocket JSON as any client would: session
// configuration, client commits and server VAD (16 kHz input converted), STT/LLM/TTS timing and
// real-time pacing, barge-in (cancel) versus false alarm (resume), tool calls, failure injection,
// and the counters /stats reports.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { nowMs } from "../src/clock.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/index.js";
import { noise, silence, voiceLike } from "../src/audio/generate.js";
import { pcmToBase64 } from "../src/audio/pcm.js";
import { PROTOCOLS } from "../src/protocols/registry.js";
import { driverOptions, runRequests } from "./helpers/driver-harness.js";
import { generatedAudio } from "../src/audio/library.js";
import { Collector } from "../src/metrics/collector.js";
import { realtimeDialer } from "../src/protocols/realtime/client.js";
import { VoiceDriver } from "../src/voice/driver.js";
import type { VoiceConnection, VoiceDialer, VoiceServerEvent } from "../src/voice/types.js";

type Event = Record<string, unknown> & { type: string; at: number };

/** A bare realtime client: sends JSON, keeps every event with its arrival time. */
class Probe {
  readonly events: Event[] = [];
  private readonly waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.events.push({ ...(JSON.parse(data.toString()) as Record<string, unknown>), at: nowMs() } as Event);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(emulator: RunningEmulator, headers: Record<string, string> = {}): Promise<Probe> {
    const socket = new WebSocket(`${emulator.url.replace("http", "ws")}/v1/realtime`, { headers });
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new Probe(socket)));
      socket.once("error", reject);
    });
  }

  send(event: Record<string, unknown>): number {
    this.socket.send(JSON.stringify(event));
    return nowMs();
  }

  speak(pcm: Int16Array): number {
    for (let at = 0; at < pcm.length; at += 2400) this.send({ type: "input_audio_buffer.append", audio: pcmToBase64(pcm.subarray(at, at + 2400)) });
    return nowMs();
  }

  /** The first event of `type` after index `from` matching `where`, waiting up to 5 s. */
  async waitFor(type: string, where: (e: Event) => boolean = () => true, from = 0): Promise<Event> {
    const deadline = nowMs() + 5000;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.type === type && where(e));
      if (found) return found;
      if (nowMs() > deadline) throw new Error(`no ${type} within 5 s; got ${this.events.map((e) => e.type).join(", ")}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  of(type: string): Event[] {
    return this.events.filter((e) => e.type === type);
  }

  close(): void {
    this.socket.close();
  }
}

function withEmulator(options: EmulatorOptions): () => RunningEmulator {
  let emulator: RunningEmulator | undefined;
  before(async () => {
    emulator = await startEmulator({ port: 0, warmUp: false, seed: 3, ...options });
  });
  after(async () => {
    await emulator?.close();
  });
  return () => emulator!;
}

const responseOf = (e: Event): Record<string, unknown> => e["response"] as Record<string, unknown>;

describe("voice emulator: sessions and client commits", () => {
  // TTFA 60 + 90 + 50 = 200 ms; 400 ms answers in 40 ms chunks, real time.
  const emulator = withEmulator({ voice: { sttMs: 60, llmFirstTokenMs: 90, ttsFirstAudioMs: 50, responseAudioMs: 400, chunkMs: 40 } });

  it("answers a committed turn after STT + LLM + TTS, paced in real time", async () => {
    const probe = await Probe.open(emulator());
    try {
      const created = await probe.waitFor("session.created");
      assert.equal(probe.events[0], created, "session.created comes first");
      probe.send({ type: "session.update", session: { type: "realtime", audio: { input: { format: { type: "audio/pcm", rate: 16000 }, turn_detection: null } } } });
      const updated = await probe.waitFor("session.updated");
      assert.deepEqual((updated["session"] as { audio: { input: unknown } }).audio.input, { format: { type: "audio/pcm", rate: 16000 }, turn_detection: null, min_interruption_ms: 500 });
      probe.speak(voiceLike(500, 16000));
      const commitAt = probe.send({ type: "input_audio_buffer.commit" });
      probe.send({ type: "response.create" });
      const done = await probe.waitFor("response.done");
      assert.equal(responseOf(done)["status"], "completed");
      const deltas = probe.of("response.output_audio.delta");
      assert.equal(deltas.length, 10);
      const ttfa = deltas[0]!.at - commitAt;
      assert.ok(ttfa >= 199 && ttfa < 240, `ttfa ${ttfa}`);
      // Ten 40 ms chunks: the last is sent 360 ms after the first.
      const spread = deltas[9]!.at - deltas[0]!.at;
      assert.ok(spread >= 350 && spread < 420, `spread ${spread}`);
      assert.equal(Buffer.from(deltas[0]!["delta"] as string, "base64").length, 40 * 24 * 2, "40 ms of 24 kHz PCM16");
      assert.ok(probe.of("response.output_audio_transcript.delta").length === 10);
      assert.ok(probe.of("response.output_audio.done").length === 1);
      assert.equal(emulator().stats().voice.responses.completed, 1);
    } finally {
      probe.close();
    }
  });

  it("answers unknown or invalid events with an error event and keeps the session", async () => {
    const probe = await Probe.open(emulator());
    try {
      await probe.waitFor("session.created");
      probe.send({ type: "conversation.item.delete", item_id: "x" });
      const error = await probe.waitFor("error");
      assert.equal((error["error"] as { code: string }).code, "unknown_event");
      probe.send({ type: "session.update", session: { audio: { input: { format: { type: "audio/pcm", rate: 44100 } } } } });
      const rate = await probe.waitFor("error", (e) => (e["error"] as { code: string }).code === "invalid_value");
      assert.match((rate["error"] as { message: string }).message, /rate must be one of 24000, 16000/);
      probe.send({ type: "input_audio_buffer.commit" });
      await probe.waitFor("error", (e) => (e["error"] as { code: string }).code === "input_audio_buffer_commit_empty");
      probe.send({ type: "response.cancel" });
      await probe.waitFor("error", (e) => (e["error"] as { code: string }).code === "response_cancel_not_active");
    } finally {
      probe.close();
    }
  });
});

describe("voice emulator: server VAD, barge-in and false alarms", () => {
  // Fast answers (10x real time) that are long enough to be interrupted.
  const emulator = withEmulator({ voice: { sttMs: 10, llmFirstTokenMs: 10, ttsFirstAudioMs: 10, responseAudioMs: 6000, pace: 10, minInterruptionMs: 500, silenceDurationMs: 400, prefixPaddingMs: 100 } });

  async function speaking(probe: Probe): Promise<number> {
    await probe.waitFor("session.created");
    probe.speak(voiceLike(800, 24000));
    probe.speak(silence(500, 24000));
    await probe.waitFor("response.output_audio.delta");
    return probe.events.length;
  }

  it("ends a 16 kHz turn by VAD: speech start and stop positions, commit, automatic response", async () => {
    const probe = await Probe.open(emulator());
    try {
      await probe.waitFor("session.created");
      probe.send({ type: "session.update", session: { audio: { input: { format: { type: "audio/pcm", rate: 16000 } } } } });
      await probe.waitFor("session.updated");
      probe.speak(silence(300, 16000));
      probe.speak(voiceLike(1000, 16000));
      probe.speak(silence(500, 16000));
      const started = await probe.waitFor("input_audio_buffer.speech_started");
      const stopped = await probe.waitFor("input_audio_buffer.speech_stopped");
      assert.equal(started["audio_start_ms"], 200, "speech at 300 ms, less 100 ms prefix padding");
      assert.ok(Math.abs((stopped["audio_end_ms"] as number) - 1300) <= 10, `audio_end_ms ${stopped["audio_end_ms"]}`);
      await probe.waitFor("input_audio_buffer.committed");
      await probe.waitFor("response.created");
    } finally {
      probe.close();
    }
  });

  it("cancels the response when interrupting speech lasts min_interruption_ms (barge-in)", async () => {
    const before = emulator().stats().voice;
    const probe = await Probe.open(emulator());
    try {
      const from = await speaking(probe);
      probe.speak(voiceLike(1000, 24000));
      await probe.waitFor("input_audio_buffer.speech_started", () => true, from);
      const done = await probe.waitFor("response.done", () => true, from);
      assert.equal(responseOf(done)["status"], "cancelled");
      assert.deepEqual(responseOf(done)["status_details"], { type: "cancelled", reason: "turn_detected" });
      const after = emulator().stats().voice;
      assert.equal(after.responses.cancelled - before.responses.cancelled, 1);
      assert.equal(after.interruptions - before.interruptions, 1);
    } finally {
      probe.close();
    }
  });

  it("pauses for short noise and resumes the same response (false alarm)", async () => {
    const before = emulator().stats().voice;
    const probe = await Probe.open(emulator());
    try {
      const from = await speaking(probe);
      probe.speak(noise(200, 24000));
      const noiseEnd = probe.speak(silence(500, 24000));
      const stopped = await probe.waitFor("input_audio_buffer.speech_stopped", () => true, from);
      const resumed = await probe.waitFor("response.output_audio.delta", (e) => e.at >= stopped.at, from);
      assert.ok(resumed.at - noiseEnd < 50, `resumed ${resumed.at - noiseEnd} ms after the noise`);
      const done = await probe.waitFor("response.done", () => true, from);
      assert.equal(responseOf(done)["status"], "completed");
      assert.equal(probe.of("response.output_audio.delta").length, 150, "every chunk of the answer arrives once");
      const after = emulator().stats().voice;
      assert.equal(after.falseAlarms - before.falseAlarms, 1);
      assert.equal(after.responses.cancelled - before.responses.cancelled, 0);
    } finally {
      probe.close();
    }
  });
});

describe("voice emulator: tool calls and failures", () => {
  const emulator = withEmulator({ voice: { sttMs: 10, llmFirstTokenMs: 10, ttsFirstAudioMs: 10, responseAudioMs: 400, pace: 20, toolCallMs: 50, turnDetection: "none" } });

  it("calls a session tool, then answers after the client returns its output", async () => {
    const probe = await Probe.open(emulator());
    try {
      await probe.waitFor("session.created");
      probe.send({ type: "session.update", session: { tools: [{ type: "function", name: "get_weather" }] } });
      await probe.waitFor("session.updated");
      probe.speak(voiceLike(300, 24000));
      const commitAt = probe.send({ type: "input_audio_buffer.commit" });
      probe.send({ type: "response.create", response: { tool_choice: "required" } });
      const call = await probe.waitFor("response.function_call_arguments.done");
      assert.equal(call["name"], "get_weather");
      assert.ok(call.at - commitAt >= 59, "STT then the tool decision");
      const first = await probe.waitFor("response.done");
      assert.equal(responseOf(first)["status"], "completed");
      assert.equal(probe.of("response.output_audio.delta").length, 0, "the calling response has no audio");
      probe.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: "call_nope", output: "{}" } });
      await probe.waitFor("error", (e) => (e["error"] as { code: string }).code === "unknown_call_id");
      probe.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: call["call_id"], output: '{"temp":21}' } });
      probe.send({ type: "response.create" });
      const second = await probe.waitFor("response.done", (e) => responseOf(e)["id"] !== responseOf(first)["id"]);
      assert.equal(responseOf(second)["status"], "completed");
      assert.equal(probe.of("response.output_audio.delta").length, 10);
    } finally {
      probe.close();
    }
  });

  it("refuses the upgrade with a forced status, as the HTTP endpoints do", async () => {
    await assert.rejects(Probe.open(emulator(), { "x-tokenstorm-fail": "503" }), /Unexpected server response: 503/);
  });
});

describe("voice emulator: injected failures reach the driver as classified errors", () => {
  const realtime = PROTOCOLS.find((p) => p.name === "realtime")!;
  const fast = { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 800, pace: 20 };
  const dropping = withEmulator({ disconnectRate: 1, voice: fast });
  const failing = withEmulator({ errorRate: 1, voice: fast });
  const slow = withEmulator({ voice: { ...fast, slowStartRate: 1, slowStartMs: 150 } });

  it("a socket dropped mid-response is stream_aborted, and the next request reconnects", async () => {
    const { records, collector } = await runRequests(realtime, driverOptions(dropping().url), 3, null);
    for (const record of records) {
      assert.equal(record.error_class, "stream_aborted", record.error ?? "");
      assert.ok(record.chunks > 0 && record.chunks < 20, `dropped after ${record.chunks} of 20 chunks`);
    }
    assert.equal(collector.errors.get("stream_aborted"), 3);
    assert.equal(dropping().stats().voice.drops, 3);
  });

  it("an injected agent error is server_error and the response ends failed", async () => {
    const { records } = await runRequests(realtime, driverOptions(failing().url), 2, null);
    for (const record of records) {
      assert.equal(record.error_class, "server_error", record.error ?? "");
      assert.match(record.error ?? "", /^server_error: injected failure/);
    }
    assert.equal(failing().stats().voice.responses.failed, 2);
  });

  it("an agent that never answers ends the turn as timeout at the scenario's limit (capped by --timeout)", async () => {
    const options = driverOptions(slow().url, { timeoutMs: 300, headers: { "x-tokenstorm-fail": "stall" } });
    const started = Date.now();
    const { records } = await runRequests(realtime, options, 2, null);
    for (const record of records) {
      assert.equal(record.error_class, "timeout", record.error ?? "");
      assert.match(record.error ?? "", /simple_query took longer than 300 ms/);
    }
    assert.ok(Date.now() - started < 2000);
  });

  it("a slow start delays the first audio by the configured time", async () => {
    const { records } = await runRequests(realtime, driverOptions(slow().url), 2, null);
    for (const record of records) {
      assert.equal(record.ok, true, record.error ?? "");
      assert.ok(record.measures!.ttfa! >= 164 && record.measures!.ttfa! < 260, `ttfa ${record.measures!.ttfa}`);
    }
  });
});

/**
 * A client that reads each response only once it has ended, as a saturated load generator does: the
 * real connection's events from response.created to response.done are handed over in one pass, with
 * their true arrival times, like a backlog read after a long event-loop block. `doneInFlight`: the
 * response.done comes one read later, stamped then, as when it was still in the socket's buffer.
 */
function lateReader(dialer: VoiceDialer, doneInFlight: boolean): VoiceDialer {
  return {
    dial: async () => {
      const dialed = await dialer.dial();
      const inner = dialed.connection;
      const connection: VoiceConnection = {
        send: (event) => inner.send(event),
        onEnd: (listener) => inner.onEnd(listener),
        close: () => inner.close(),
        onEvent: (listener) => {
          let held: Array<[VoiceServerEvent, number]> | null = null;
          inner.onEvent((event, at) => {
            if (event.type === "response.created") held ??= [];
            if (held === null) return listener(event, at);
            held.push([event, at]);
            if (event.type !== "response.done") return;
            const backlog = held;
            held = null;
            if (!doneInFlight) return backlog.forEach(([e, t]) => listener(e, t));
            for (const [e, t] of backlog.slice(0, -1)) listener(e, t);
            setImmediate(() => listener(event, nowMs()));
          });
        },
      };
      return { connection, connectMs: dialed.connectMs };
    },
  };
}

describe("voice client: a client too busy to act inside the agent's response", () => {
  // 1 s answers: every interruption point (0.3-0.8 s of audio) lies inside them.
  const emulator = withEmulator({ voice: { sttMs: 5, llmFirstTokenMs: 5, ttsFirstAudioMs: 5, responseAudioMs: 1000, pace: 20 } });

  const cases = [
    { doneInFlight: false, message: /ms after the response's end had already been received/ },
    { doneInFlight: true, message: /before the agent showed it had heard it/ },
  ];
  for (const scenario of ["interruption", "false_alarm"] as const) {
    for (const { doneInFlight, message } of cases) {
      it(`${scenario}: speech sent after the response's end ${doneInFlight ? "was sent (still unread)" : "was already received"} is late_interruption, never other`, async () => {
        const options = driverOptions(emulator().url);
        const driver = new VoiceDriver(lateReader(realtimeDialer(options), doneInFlight), options, {
          audio: generatedAudio(24000),
          serverVad: true,
          toolLatencyMs: 0,
          seed: 1,
          requestsPerSession: 1,
        });
        const collector = new Collector();
        const cancelledBefore = emulator().stats().voice.responses.cancelled;
        try {
          const records = await Promise.all(
            [0, 1].map(async (client) => {
              const trace = collector.begin(scenario, client, 0);
              await driver.execute({ type: scenario, prompt: "", maxTokens: null }, trace);
              return collector.finish(trace);
            }),
          );
          for (const record of records) {
            assert.equal(record.error_class, "late_interruption", record.error ?? "");
            assert.match(record.error ?? "", message);
            assert.equal(record.chunks, 25, "the whole answer (1000 ms in 40 ms chunks) was received");
          }
          // The agent itself never heard the client in time: it completed both responses.
          assert.equal(emulator().stats().voice.responses.cancelled, cancelledBefore);
        } finally {
          await driver.close();
        }
      });
    }
  }
});
