import { describe, expect, it } from 'vitest';
import { SPEECH_16K, readMonoWav } from '../test/fixtures';
import { G722_JS, G722_NATIVE, G722_REST_CODE, G722_STATE_SLOTS, G722Decoder, G722Encoder, g722Engine } from './g722';
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

  describe('silence as the rest code', () => {
    it('keeps the far end in step: its decoder state is the encoder state, and speech after silence decodes cleanly', () => {
      const { pcm } = readMonoWav(SPEECH_16K);
      const speech = pcm.subarray(0, 16000 - (16000 % 320));
      const encoder = new G722Encoder();
      const decoder = new G722Decoder();
      const state = (codec: object) => codec as unknown as { lower: Int32Array; upper: Int32Array };
      const decoded: Int16Array[] = [];
      const send = (payload: Buffer) => {
        decoded.push(decoder.decode(payload));
        // The invariant itself: the encoder's adaptive state is the decoder's, slot for slot.
        expect(state(decoder).lower).toEqual(state(encoder).lower);
        expect(state(decoder).upper).toEqual(state(encoder).upper);
      };
      for (let i = 0; i < speech.length; i += 320) send(encoder.encode(speech.subarray(i, i + 320)));
      for (let i = 0; i < 25; i++) send(encoder.encodeSilence(160));
      for (let i = 0; i < speech.length; i += 320) send(encoder.encode(speech.subarray(i, i + 320)));
      const all = new Int16Array(decoded.reduce((n, d) => n + d.length, 0));
      decoded.reduce((at, d) => (all.set(d, at), at + d.length), 0);
      expect(alignedSnrDb(speech.subarray(320), all.subarray(speech.length + 8000 + 320), 40).snrDb).toBeGreaterThan(20);
      // The silence between decodes quiet, and close to zero once settled (-60 dBFS or less).
      const gap = all.subarray(speech.length + 4000, speech.length + 8000);
      expect(Math.max(...Array.from(gap, Math.abs))).toBeLessThan(64);
    });

    it('is the rest code byte, and comes to rest: then the same payload every time, and a fresh decoder state stops changing too', () => {
      const encoder = new G722Encoder();
      encoder.encode(generateTone({ frequency: 500, sampleRate: 16000, durationMs: 200, amplitude: 12000 }));
      const payloads = Array.from({ length: 20 }, () => encoder.encodeSilence(160));
      expect(payloads.every((p) => p.length === 160 && p.every((b) => b === G722_REST_CODE))).toBe(true);
      // ~130 ms to settle; by 400 ms the encoder hands back one shared buffer.
      expect(payloads[19]).toBe(payloads[18]);
      expect(payloads[0]).not.toBe(payloads[1]);
      // Speech again resumes real coding.
      expect(encoder.encode(generateTone({ frequency: 500, sampleRate: 16000, durationMs: 20 })).every((b) => b === G722_REST_CODE)).toBe(false);
    });
  });

  describe('the native build', () => {
    /** Deterministic test signals: speech, full-scale noise, a chirp, square waves, silence, a quiet tone. */
    function signals(): Int16Array[] {
      let seed = 12345;
      const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const make = (f: (i: number) => number) => Int16Array.from({ length: 24000 }, (_, i) => Math.max(-32768, Math.min(32767, Math.round(f(i)))));
      return [
        readMonoWav(SPEECH_16K).pcm,
        make(() => (random() - 0.5) * 65535),
        make((i) => Math.sin((i * i) / 1e7) * 20000),
        make(() => (random() < 0.5 ? 32767 : -32768)),
        make(() => 0),
        make((i) => Math.sin(i / 50) * 200),
      ];
    }

    it('is built and in use (pnpm install compiles it; without a compiler G.722 falls back to JavaScript)', () => {
      expect(G722_NATIVE?.name).toBe('native');
      expect(g722Engine).toBe(G722_NATIVE);
    });

    it('encodes and decodes byte for byte as the JavaScript does, in any chunking', () => {
      for (const pcm of signals()) {
        const js = new G722Encoder(G722_JS);
        const native = new G722Encoder(G722_NATIVE);
        const jsBytes: Buffer[] = [];
        const nativeBytes: Buffer[] = [];
        for (let i = 0, size = 1; i < pcm.length; i += size, size = (size * 7 + 3) % 331) {
          jsBytes.push(js.encode(pcm.subarray(i, i + size)));
          nativeBytes.push(native.encode(pcm.subarray(i, i + size)));
        }
        const bytes = Buffer.concat(jsBytes);
        expect(Buffer.concat(nativeBytes).equals(bytes)).toBe(true);
        // Decoding every possible byte, not only what an encoder emits.
        const arbitrary = Uint8Array.from({ length: 8000 }, (_, i) => (i * 97 + (i >> 3)) & 0xff);
        for (const input of [bytes, arbitrary]) {
          const jsDecoder = new G722Decoder(G722_JS);
          const nativeDecoder = new G722Decoder(G722_NATIVE);
          for (let i = 0; i < input.length; i += 160) {
            expect(nativeDecoder.decode(input.subarray(i, i + 160))).toEqual(jsDecoder.decode(input.subarray(i, i + 160)));
          }
        }
      }
    });

    it('refuses calls that would write out of bounds', () => {
      const native = G722_NATIVE!;
      expect(() => native.decode(new Int32Array(10), new Uint8Array(160), new Int16Array(320))).toThrow(RangeError);
      expect(() => new G722Decoder(native).decode(new Uint8Array(160), new Int16Array(100))).toThrow(RangeError);
      expect(() => native.encode(new Int32Array(G722_STATE_SLOTS), new Int16Array(320), 0, 320, new Uint8Array(100), 0)).toThrow(RangeError);
      expect(() => native.encode(new Int32Array(G722_STATE_SLOTS), new Int16Array(320), 200, 200, new Uint8Array(160), 0)).toThrow(RangeError);
    });
  });
});
