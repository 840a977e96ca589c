import { describe, expect, it } from 'vitest';
import { SPEECH_16K, readMonoWav } from '../test/fixtures';
import { G722Decoder, G722Encoder } from './g722';
import { alignedSnrDb, generateTone, snrDb, toneEnergyFraction } from './signal';

/** QMF analysis + synthesis delay of this implementation, in 16 kHz samples. */
const CODEC_DELAY = 22;

function roundTrip(pcm: Int16Array, frameSamples = 320): Int16Array {
  const encoder = new G722Encoder();
  const decoder = new G722Decoder();
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i += frameSamples) {
    const bytes = encoder.encode(pcm.subarray(i, i + frameSamples));
    out.set(decoder.decode(bytes), i);
  }
  return out;
}

describe('G.722 64 kbit/s', () => {
  it('turns a 20 ms frame of 320 samples into 160 bytes and back', () => {
    const bytes = new G722Encoder().encode(new Int16Array(320));
    expect(bytes).toHaveLength(160);
    expect(new G722Decoder().decode(bytes)).toHaveLength(320);
  });

  it('reproduces a 1 kHz tone with > 40 dB SNR', () => {
    const tone = generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 2000, amplitude: 10000 });
    const decoded = roundTrip(tone);
    // Skip the first 100 ms, while the adaptive quantizer settles.
    const settled = tone.subarray(1600, tone.length - CODEC_DELAY);
    expect(snrDb(settled, decoded.subarray(1600 + CODEC_DELAY))).toBeGreaterThan(40);
  });

  it('keeps a 6 kHz tone (the upper band) above 15 dB SNR', () => {
    const tone = generateTone({ frequency: 6000, sampleRate: 16000, durationMs: 1000, amplitude: 8000 });
    const decoded = roundTrip(tone);
    expect(snrDb(tone.subarray(1600, tone.length - CODEC_DELAY), decoded.subarray(1600 + CODEC_DELAY))).toBeGreaterThan(15);
    expect(toneEnergyFraction(decoded, 6000, 16000, 1600, decoded.length)).toBeGreaterThan(0.95);
  });

  it('codes real speech (espeak-ng) with > 25 dB SNR at a delay of 22 samples', () => {
    const { sampleRate, pcm } = readMonoWav(SPEECH_16K);
    expect(sampleRate).toBe(16000);
    const best = alignedSnrDb(pcm, roundTrip(pcm), 40);
    expect(best.delay).toBe(CODEC_DELAY);
    expect(best.snrDb).toBeGreaterThan(25);
  });

  it('codes a 100 Hz - 7 kHz sweep with > 24 dB SNR', () => {
    const n = 32000;
    const sweep = new Int16Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      phase += (2 * Math.PI * (100 + (6900 * i) / n)) / 16000;
      sweep[i] = Math.round(8000 * Math.sin(phase));
    }
    expect(snrDb(sweep.subarray(0, n - CODEC_DELAY), roundTrip(sweep).subarray(CODEC_DELAY))).toBeGreaterThan(24);
  });

  it('keeps state across frames: any chunking gives the same bytes and samples as one call', () => {
    const { pcm } = readMonoWav(SPEECH_16K);
    const whole = new G722Encoder().encode(pcm);
    const encoder = new G722Encoder();
    const chunks: Buffer[] = [];
    // Odd chunk sizes leave a sample pending between calls.
    for (let i = 0, size = 1; i < pcm.length; i += size, size = (size * 7 + 3) % 331) chunks.push(encoder.encode(pcm.subarray(i, i + size)));
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);

    const decodedWhole = new G722Decoder().decode(whole);
    const decoder = new G722Decoder();
    const parts: Int16Array[] = [];
    for (let i = 0; i < whole.length; i += 160) parts.push(decoder.decode(whole.subarray(i, i + 160)));
    const joined = new Int16Array(decodedWhole.length);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(joined).toEqual(decodedWhole);
  });

  it('survives full-scale input and square waves without overflow', () => {
    const square = Int16Array.from({ length: 16000 }, (_, i) => ((i >> 4) & 1 ? 32767 : -32768));
    const decoded = roundTrip(square);
    // The output stays a strong 500 Hz signal rather than wrapping into noise.
    expect(toneEnergyFraction(decoded, 500, 16000, 1600, decoded.length)).toBeGreaterThan(0.7);
  });

  it('writes into a caller-supplied buffer', () => {
    const tone = generateTone({ frequency: 440, sampleRate: 16000, durationMs: 20 });
    const out = new Uint8Array(160);
    expect(new G722Encoder().encodeInto(tone, out)).toBe(160);
    expect(Buffer.from(out).equals(new G722Encoder().encode(tone))).toBe(true);
    const pcm = new Int16Array(320);
    expect(new G722Decoder().decode(out, pcm)).toBe(pcm);
  });
});
