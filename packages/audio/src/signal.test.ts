import { describe, expect, it } from 'vitest';
import {
  EnergyVad,
  ToneDetector,
  alignedSnrDb,
  concatPcm,
  dbfs,
  generateTone,
  normalizeWords,
  rms,
  snrDb,
  toneAmplitude,
  toneEnergyFraction,
  wordErrorRate,
} from './signal';

/** Deterministic pseudo-random noise (xorshift), so tests do not depend on Math.random. */
function noise(length: number, amplitude: number, seed = 1): Int16Array {
  let x = seed;
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = Math.round(((x >>> 0) / 0xffffffff - 0.5) * 2 * amplitude);
  }
  return out;
}

const concat = (...parts: Int16Array[]): Int16Array => concatPcm(parts);

describe('levels', () => {
  it('measures rms and dBFS', () => {
    const tone = generateTone({ frequency: 1000, sampleRate: 8000, durationMs: 100, amplitude: 16384 });
    expect(rms(tone)).toBeCloseTo(16384 / Math.SQRT2, -1);
    expect(dbfs(tone)).toBeCloseTo(-9.03, 1);
    expect(dbfs(new Int16Array(10))).toBe(-Infinity);
    expect(rms(new Int16Array(0))).toBe(0);
  });
});

describe('Goertzel measurements', () => {
  it('reads a tone amplitude and rejects other frequencies', () => {
    const tone = generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 100, amplitude: 8000 });
    expect(toneAmplitude(tone, 1000, 16000)).toBeCloseTo(8000, -1);
    expect(toneAmplitude(tone, 1400, 16000)).toBeLessThan(100);
    expect(toneEnergyFraction(tone, 1000, 16000)).toBeGreaterThan(0.99);
  });

  it('splits energy between two equal tones', () => {
    const a = generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 100, amplitude: 5000 });
    const b = generateTone({ frequency: 6000, sampleRate: 16000, durationMs: 100, amplitude: 5000 });
    const mix = a.map((v, i) => v + b[i]);
    expect(toneEnergyFraction(mix, 1000, 16000)).toBeCloseTo(0.5, 2);
    expect(toneEnergyFraction(mix, 6000, 16000)).toBeCloseTo(0.5, 2);
  });
});

describe('ToneDetector', () => {
  const sampleRate = 8000;
  const options = { sampleRate, frequencies: [1000, 1400], minDurationMs: 200 };

  it('reports a 250 ms 1 kHz voicemail beep after speech-like noise, once', () => {
    const audio = concat(
      noise(8000, 6000),
      generateTone({ frequency: 1000, sampleRate, durationMs: 250, amplitude: 8000 }),
      new Int16Array(4000),
    );
    const detector = new ToneDetector(options);
    const detections = [];
    for (let i = 0; i < audio.length; i += 160) detections.push(...detector.push(audio.subarray(i, i + 160)));
    expect(detections).toHaveLength(1);
    expect(detections[0].frequency).toBe(1000);
    expect(detections[0].startMs).toBeGreaterThanOrEqual(1000);
    expect(detections[0].startMs).toBeLessThanOrEqual(1010);
    expect(detections[0].durationMs).toBeGreaterThanOrEqual(200);
  });

  it('detects 1400 Hz beeps too, even in light noise', () => {
    const tone = generateTone({ frequency: 1400, sampleRate, durationMs: 300, amplitude: 6000 });
    const noisy = tone.map((v, i) => v + noise(tone.length, 300)[i]);
    expect(new ToneDetector(options).push(noisy)).toMatchObject([{ frequency: 1400 }]);
  });

  it('ignores beeps shorter than the minimum, quiet ones, other frequencies and noise', () => {
    const detector = new ToneDetector(options);
    expect(detector.push(generateTone({ frequency: 1000, sampleRate, durationMs: 150, amplitude: 8000 }))).toEqual([]);
    expect(detector.push(new Int16Array(800))).toEqual([]);
    expect(detector.push(generateTone({ frequency: 1000, sampleRate, durationMs: 400, amplitude: 10 }))).toEqual([]);
    expect(detector.push(generateTone({ frequency: 700, sampleRate, durationMs: 400, amplitude: 8000 }))).toEqual([]);
    expect(detector.push(noise(8000, 8000))).toEqual([]);
  });
});

describe('EnergyVad', () => {
  it('marks loud frames as speech and bridges short pauses with hangover', () => {
    const vad = new EnergyVad({ thresholdDbfs: -40, hangoverFrames: 2 });
    const loud = noise(160, 3000);
    const quiet = noise(160, 50);
    expect([loud, quiet, quiet, quiet, loud].map((f) => vad.isSpeech(f))).toEqual([true, true, true, false, true]);
    vad.reset();
    expect(vad.isSpeech(quiet)).toBe(false);
  });
});

describe('SNR', () => {
  it('measures added noise, is infinite for identical signals, and finds a delay', () => {
    const tone = generateTone({ frequency: 440, sampleRate: 16000, durationMs: 200, amplitude: 10000 });
    expect(snrDb(tone, tone)).toBe(Infinity);
    const n = noise(tone.length, 100);
    const noisy = tone.map((v, i) => v + n[i]);
    // Tone power 5e7, uniform noise power 100^2/3: about 37 dB.
    expect(snrDb(tone, noisy)).toBeCloseTo(10 * Math.log10(5e7 / (10000 / 3)), 0);
    const delayed = concat(new Int16Array(7), noise(3200, 5000));
    const best = alignedSnrDb(noise(3200, 5000), delayed, 20);
    expect(best.delay).toBe(7);
    expect(best.snrDb).toBe(Infinity);
  });
});

describe('wordErrorRate', () => {
  it('is 0 for the same words regardless of case and punctuation', () => {
    expect(wordErrorRate('Hello, world!', 'hello world')).toBe(0);
    expect(wordErrorRate("It's 5 o'clock.", 'it’s 5 o’clock')).toBe(0);
  });

  it('counts substitutions, insertions and deletions against the reference length', () => {
    expect(wordErrorRate('the cat sat on the mat', 'the cat sat on a mat')).toBeCloseTo(1 / 6);
    expect(wordErrorRate('the cat sat', 'the cat sat down')).toBeCloseTo(1 / 3);
    expect(wordErrorRate('the cat sat', 'cat sat')).toBeCloseTo(1 / 3);
    expect(wordErrorRate('a b c d', 'x y')).toBe(1);
    expect(wordErrorRate('one', 'two three four')).toBe(3);
  });

  it('handles empty texts', () => {
    expect(wordErrorRate('', '')).toBe(0);
    expect(wordErrorRate('  ', 'something')).toBe(1);
    expect(wordErrorRate('something', '')).toBe(1);
  });

  it('normalizes words', () => {
    expect(normalizeWords("  Don't STOP -- 'quoted' words, 42 times ")).toEqual(["don't", 'stop', 'quoted', 'words', '42', 'times']);
  });
});
