import { describe, expect, it } from 'vitest';
import { SPEECH_22050, readMonoWav } from '../test/fixtures';
import { Resampler, resample } from './resample';
import { dbfs, generateTone, rms, snrDb, toneAmplitude } from './signal';

const RATES = [8000, 16000, 22050, 24000, 48000];

/** Level of the `frequency` component relative to a full-amplitude (`amplitude`) tone, dB, away from the edges. */
function componentDb(pcm: Int16Array, frequency: number, sampleRate: number, amplitude: number): number {
  const margin = Math.round(sampleRate * 0.05);
  return 20 * Math.log10(toneAmplitude(pcm, frequency, sampleRate, margin, pcm.length - margin) / amplitude);
}

describe('resample (one-shot)', () => {
  for (const from of RATES) {
    for (const to of RATES) {
      if (from === to) continue;
      it(`${from} -> ${to} Hz keeps a 1 kHz tone's frequency, level and phase`, () => {
        const amplitude = 12000;
        const input = generateTone({ frequency: 1000, sampleRate: from, durationMs: 500, amplitude });
        const output = resample(input, from, to);
        expect(output.length).toBe(Math.ceil((input.length * to) / from));
        // Level within 0.1 dB, and time-aligned with an ideal tone at the new rate.
        expect(Math.abs(componentDb(output, 1000, to, amplitude))).toBeLessThan(0.1);
        const ideal = generateTone({ frequency: 1000, sampleRate: to, durationMs: 500, amplitude });
        const margin = Math.round(to * 0.05);
        expect(snrDb(ideal.subarray(margin, -margin), output.subarray(margin, -margin))).toBeGreaterThan(60);
      });
    }
  }

  it('16k -> 8k removes a 6 kHz tone instead of folding it to 2 kHz (> 60 dB down)', () => {
    const input = generateTone({ frequency: 6000, sampleRate: 16000, durationMs: 500, amplitude: 16000 });
    const output = resample(input, 16000, 8000);
    expect(componentDb(output, 2000, 8000, 16000)).toBeLessThan(-60);
    expect(dbfs(output, 400, output.length - 400)).toBeLessThan(-60);
  });

  it('16k -> 8k attenuates a 4.4 kHz tone (alias at 3.6 kHz) by > 30 dB', () => {
    const input = generateTone({ frequency: 4400, sampleRate: 16000, durationMs: 500, amplitude: 16000 });
    expect(componentDb(resample(input, 16000, 8000), 3600, 8000, 16000)).toBeLessThan(-30);
  });

  it('22050 -> 16k removes a 10 kHz tone (alias at 6 kHz)', () => {
    const input = generateTone({ frequency: 10000, sampleRate: 22050, durationMs: 500, amplitude: 16000 });
    expect(componentDb(resample(input, 22050, 16000), 6000, 16000, 16000)).toBeLessThan(-60);
  });

  it('8k -> 16k leaves no image of a 3 kHz tone at 5 kHz', () => {
    const input = generateTone({ frequency: 3000, sampleRate: 8000, durationMs: 500, amplitude: 16000 });
    const output = resample(input, 8000, 16000);
    expect(componentDb(output, 3000, 16000, 16000)).toBeGreaterThan(-0.2);
    expect(componentDb(output, 5000, 16000, 16000)).toBeLessThan(-60);
  });

  it('passes speech band up to 3.4 kHz at 8 kHz output within 0.5 dB', () => {
    const input = generateTone({ frequency: 3400, sampleRate: 16000, durationMs: 500, amplitude: 16000 });
    expect(Math.abs(componentDb(resample(input, 16000, 8000), 3400, 8000, 16000))).toBeLessThan(0.5);
  });

  it('returns a copy for equal rates', () => {
    const input = Int16Array.from([1, 2, 3]);
    const output = resample(input, 16000, 16000);
    expect(output).toEqual(input);
    expect(output).not.toBe(input);
  });

  it('rejects rates that are not positive integers', () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(22050.5, 16000)).toThrow(RangeError);
  });
});

describe('Resampler (streaming)', () => {
  it.each([
    [22050, 16000, 441],
    [22050, 8000, 441],
    [24000, 16000, 480],
    [48000, 16000, 960],
    [8000, 16000, 160],
    [16000, 8000, 320],
    [16000, 22050, 320],
  ])('%i -> %i Hz in 20 ms chunks of %i gives exactly to/from of the input, chunk after chunk', (from, to, chunk) => {
    const resampler = new Resampler(from, to);
    const expectedPerChunk = (chunk * to) / from;
    let total = 0;
    for (let i = 0; i < 500; i++) {
      const out = resampler.process(new Int16Array(chunk).fill(1000));
      total += out.length;
      expect(out.length).toBe(expectedPerChunk);
    }
    expect(total).toBe((500 * chunk * to) / from);
  });

  it('gives ceil(N * to / from) samples over odd-sized chunks', () => {
    const resampler = new Resampler(22050, 16000);
    let inTotal = 0;
    let outTotal = 0;
    for (let size = 1; inTotal < 50000; size = (size * 13 + 7) % 997) {
      inTotal += size;
      outTotal += resampler.process(new Int16Array(size)).length;
      expect(outTotal).toBe(Math.ceil((inTotal * 16000) / 22050));
    }
  });

  it('produces the same samples chunked as in one call (no clicks at chunk joins)', () => {
    const { sampleRate, pcm } = readMonoWav(SPEECH_22050);
    expect(sampleRate).toBe(22050);
    const whole = new Resampler(22050, 16000).process(pcm);
    const streaming = new Resampler(22050, 16000);
    const parts: Int16Array[] = [];
    for (let i = 0; i < pcm.length; i += 441) parts.push(streaming.process(pcm.subarray(i, i + 441)));
    const joined = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(joined).toEqual(whole);
    expect(rms(whole)).toBeGreaterThan(rms(pcm) * 0.9);
  });

  it('processInto writes into a reused buffer; reset forgets the history', () => {
    const resampler = new Resampler(8000, 16000);
    const out = new Int16Array(resampler.maxOutputLength(160));
    const loud = new Int16Array(160).fill(20000);
    expect(resampler.processInto(loud, out)).toBe(320);
    resampler.reset();
    expect(resampler.processInto(new Int16Array(160), out)).toBe(320);
    // After reset nothing of the loud chunk leaks into the next one.
    expect(rms(out.subarray(0, 320))).toBe(0);
  });

  it('reports its delay, which the one-shot helper compensates', () => {
    const resampler = new Resampler(16000, 8000);
    expect(resampler.delay).toBeGreaterThan(0);
    const impulse = new Int16Array(1600);
    impulse[800] = 30000;
    const out = resampler.process(impulse);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[peak])) peak = i;
    expect(peak).toBe(400 + resampler.delay);
    const aligned = resample(impulse, 16000, 8000);
    let alignedPeak = 0;
    for (let i = 1; i < aligned.length; i++) if (Math.abs(aligned[i]) > Math.abs(aligned[alignedPeak])) alignedPeak = i;
    expect(alignedPeak).toBe(400);
  });
});
