// Audio: PCM16 helpers, WAV reading with validation, resampling, generated audio, --audio-dir
// loading, and `tokenstorm audio create`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generatedAudio, loadAudioDir } from "../src/audio/library.js";
import { espeak, noise, silence, sine, voiceLike } from "../src/audio/generate.js";
import { base64ToPcm, chunkPcm, durationMs, pcmToBase64, rmsLevel } from "../src/audio/pcm.js";
import { resamplePcm } from "../src/audio/resample.js";
import { encodeWav, parseWav, WavError } from "../src/audio/wav.js";
import { UsageError } from "../src/errors.js";
import { runCli, tempDir } from "./helpers/cli.js";

/** A WAV header with an arbitrary layout, for the files we must refuse. */
function wavWith(format: number, channels: number, bits: number, rate = 16000): Buffer {
  const wav = encodeWav(new Int16Array(160), rate);
  wav.writeUInt16LE(format, 20);
  wav.writeUInt16LE(channels, 22);
  wav.writeUInt16LE(bits, 34);
  return wav;
}

describe("PCM16 and WAV", () => {
  it("round-trips samples through base64 and WAV", () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    assert.deepEqual(Array.from(base64ToPcm(pcmToBase64(pcm))), Array.from(pcm));
    const wav = parseWav(encodeWav(pcm, 24000), "x.wav");
    assert.equal(wav.sampleRate, 24000);
    assert.deepEqual(Array.from(wav.pcm), Array.from(pcm));
    assert.equal(durationMs(24000, 24000), 1000);
    assert.deepEqual(chunkPcm(new Int16Array(250), 100).map((c) => c.length), [100, 100, 50]);
  });

  it("refuses anything but 16-bit PCM mono, naming the file", () => {
    const cases: Array<[Buffer, RegExp]> = [
      [wavWith(1, 2, 16), /bad\.wav: 2 channels \(need mono\)/],
      [wavWith(1, 1, 8), /bad\.wav: 8-bit samples/],
      [wavWith(3, 1, 32), /bad\.wav: audio format 3 is not PCM/],
      [Buffer.from("ID3 definitely an mp3 file"), /bad\.wav: not a WAV file/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => parseWav(bytes, "bad.wav"), (err) => err instanceof WavError && message.test(err.message));
  });

  it("resamples to the right length and keeps a tone's level", () => {
    const tone = sine(1000, 16000, 300, 0.2);
    const up = resamplePcm(tone, 16000, 24000);
    assert.equal(up.length, 24000);
    assert.ok(Math.abs(rmsLevel(up) - rmsLevel(tone)) < 0.01, `${rmsLevel(up)} vs ${rmsLevel(tone)}`);
    assert.equal(resamplePcm(tone, 16000, 16000), tone);
  });

  it("generates silence, noise and voice-like audio at the asked length and level", () => {
    assert.equal(rmsLevel(silence(500, 24000)), 0);
    assert.ok(Math.abs(rmsLevel(noise(300, 24000)) - 0.1) < 0.01);
    const voice = voiceLike(2000, 24000);
    assert.equal(voice.length, 48000);
    // Every 10 ms frame is loud enough for energy VAD: one continuous utterance.
    for (let at = 0; at + 240 <= voice.length; at += 240) assert.ok(rmsLevel(voice, at, at + 240) > 0.05);
    const library = generatedAudio(24000);
    assert.equal(durationMs(library.utterance("tool_query", 0).length, 24000), 3000);
    assert.equal(durationMs(library.utterance("interrupting_query", 0).length, 24000), 1500);
  });

  it("speaks through espeak-ng when it is installed", { skip: !existsSync("/usr/bin/espeak-ng") && "espeak-ng not installed" }, () => {
    const speech = espeak("hello world", 16000);
    assert.ok(speech && durationMs(speech.length, 16000) > 300 && rmsLevel(speech) > 0.01);
  });
});

describe("--audio-dir", () => {
  it("loads WAV files, resampling other rates with a note", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.wav"), encodeWav(voiceLike(1000, 16000), 16000));
    writeFileSync(join(dir, "b.wav"), encodeWav(voiceLike(500, 24000), 24000));
    writeFileSync(join(dir, "notes.txt"), "not audio");
    const library = loadAudioDir(dir, 24000);
    assert.deepEqual(library.notes, [`${join(dir, "a.wav")}: 16000 Hz resampled to 24000 Hz`]);
    assert.equal(library.utterance("query", 0).length, 24000);
    assert.equal(library.utterance("query", 1).length, 12000);
    assert.equal(library.utterance("query", 2).length, 24000, "files are taken in turn");
  });

  it("rejects a bad file or an empty folder as a usage error naming it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "stereo.wav"), wavWith(1, 2, 16));
    assert.throws(() => loadAudioDir(dir, 24000), (err) => err instanceof UsageError && err.message.includes(join(dir, "stereo.wav")) && err.message.includes("need mono"));
    assert.throws(() => loadAudioDir(tempDir(), 24000), (err) => err instanceof UsageError && err.message.endsWith("no .wav files"));
  });

  it("tokenstorm run --audio-dir with a bad file exits 2 naming the file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "eight-bit.wav"), wavWith(1, 1, 8));
    const result = await runCli(["run", "--protocol", "realtime", "--audio-dir", dir, "--requests", "1", "--no-save"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /eight-bit\.wav: 8-bit samples/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  });
});

describe("tokenstorm audio create", () => {
  it("writes valid 16 kHz PCM mono WAV files", async () => {
    const dir = join(tempDir(), "test_audio");
    const result = await runCli(["audio", "create", "--dir", dir]);
    assert.equal(result.code, 0, result.stderr);
    const files = result.stdout.trim().split("\n").filter((line) => line.endsWith(".wav"));
    assert.equal(files.length, 6);
    for (const file of files) {
      const wav = parseWav(readFileSync(file), file);
      assert.equal(wav.sampleRate, 16000);
      assert.ok(wav.pcm.length > 0);
    }
    assert.equal(loadAudioDir(dir, 24000).notes.length, 6);
  });

  it("rejects an unknown rate with exit 2", async () => {
    const result = await runCli(["audio", "create", "--dir", tempDir(), "--rate", "12345"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--rate must be one of/);
  });
});
