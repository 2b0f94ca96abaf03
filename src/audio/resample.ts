// Sample-rate conversion of mono PCM16 by linear interpolation: enough for speech-band test audio
// moving between 16, 22.05 and 24 kHz (no anti-alias filter; downsampled test audio may alias a little).

export function resamplePcm(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate || pcm.length === 0) return pcm;
  const outLength = Math.max(1, Math.round((pcm.length * toRate) / fromRate));
  const out = new Int16Array(outLength);
  const step = fromRate / toRate;
  const last = pcm.length - 1;
  for (let i = 0; i < outLength; i++) {
    const position = i * step;
    const index = Math.floor(position);
    if (index >= last) {
      out[i] = pcm[last]!;
      continue;
    }
    const fraction = position - index;
    out[i] = Math.round(pcm[index]! * (1 - fraction) + pcm[index + 1]! * fraction);
  }
  return out;
}
