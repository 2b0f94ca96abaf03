// Energy-based voice-activity detection, as the emulated agent's server VAD: 10 ms frames are voiced
// when their RMS level reaches the threshold; speech starts at the first voiced frame and stops after
// `silenceDurationMs` of unvoiced frames. Positions are in audio time (ms of input received), so the
// outcome depends on the audio only, not on how fast the client sends it.
import { rmsLevel, samplesFor } from "../audio/pcm.js";
import type { ServerVad } from "./types.js";

const FRAME_MS = 10;

export interface VadListener {
  /** `audioStartMs` includes the prefix padding. */
  speechStarted(audioStartMs: number): void;
  /** Called after each voiced frame with the speech heard so far, ms. */
  speechContinues(speechMs: number): void;
  speechStopped(audioEndMs: number, speechMs: number): void;
}

export class EnergyVad {
  private readonly frameSamples: number;
  /** Samples of an incomplete frame carried over to the next push. */
  private readonly carry: Int16Array;
  private carried = 0;
  private positionMs = 0;
  private speaking = false;
  private speechMs = 0;
  private silenceMs = 0;

  constructor(
    private readonly settings: ServerVad,
    sampleRate: number,
    private readonly listener: VadListener,
  ) {
    this.frameSamples = Math.max(1, samplesFor(FRAME_MS, sampleRate));
    this.carry = new Int16Array(this.frameSamples);
  }

  get inSpeech(): boolean {
    return this.speaking;
  }

  /** Input audio heard so far, ms (whole frames). */
  get heardMs(): number {
    return this.positionMs;
  }

  push(pcm: Int16Array): void {
    let at = 0;
    if (this.carried > 0) {
      const take = Math.min(this.frameSamples - this.carried, pcm.length);
      this.carry.set(pcm.subarray(0, take), this.carried);
      this.carried += take;
      at = take;
      if (this.carried < this.frameSamples) return;
      this.frame(this.carry, 0, this.frameSamples);
      this.carried = 0;
    }
    for (; at + this.frameSamples <= pcm.length; at += this.frameSamples) this.frame(pcm, at, at + this.frameSamples);
    if (at < pcm.length) {
      this.carry.set(pcm.subarray(at), 0);
      this.carried = pcm.length - at;
    }
  }

  /** Forget the current speech (after a commit or clear): the next voiced frame starts anew. */
  reset(): void {
    this.speaking = false;
    this.speechMs = 0;
    this.silenceMs = 0;
    this.carried = 0;
  }

  private frame(pcm: Int16Array, from: number, to: number): void {
    const voiced = rmsLevel(pcm, from, to) >= this.settings.threshold;
    this.positionMs += FRAME_MS;
    if (voiced) {
      this.silenceMs = 0;
      if (!this.speaking) {
        this.speaking = true;
        this.speechMs = 0;
        this.listener.speechStarted(Math.max(0, this.positionMs - FRAME_MS - this.settings.prefixPaddingMs));
      }
      this.speechMs += FRAME_MS;
      this.listener.speechContinues(this.speechMs);
      return;
    }
    if (!this.speaking) return;
    this.silenceMs += FRAME_MS;
    if (this.silenceMs >= this.settings.silenceDurationMs) {
      this.speaking = false;
      this.listener.speechStopped(this.positionMs - this.silenceMs, this.speechMs);
    }
  }
}
