/**
 * Sample-rate work the simulator needs: whole-utterance resampling (espeak-ng's 22050 Hz
 * to 16 kHz) and streaming 2:1 decimation/interpolation with a low-pass FIR, which is also
 * how a narrowband far end is band-limited to the telephone band.
 */

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Windowed-sinc resampling of a whole buffer (offline: prompts and WAV files). */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const cutoff = Math.min(1, ratio) * 0.95;
  const halfWidth = 16;
  const outLength = Math.floor(input.length * ratio);
  const out = new Int16Array(outLength);
  for (let i = 0; i < outLength; i++) {
    const t = i / ratio;
    const center = Math.floor(t);
    let acc = 0;
    let norm = 0;
    for (let k = center - halfWidth + 1; k <= center + halfWidth; k++) {
      const d = t - k;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * d) / halfWidth);
      const h = cutoff * sinc(cutoff * d) * w;
      norm += h;
      if (k >= 0 && k < input.length) acc += input[k]! * h;
    }
    const v = Math.round(acc / norm);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Low-pass FIR taps (Hann-windowed sinc), normalised to unity DC gain. */
export function lowPassTaps(cutoffHz: number, sampleRate: number, taps = 63): Float64Array {
  const h = new Float64Array(taps);
  const fc = cutoffHz / sampleRate;
  const mid = (taps - 1) / 2;
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const n = i - mid;
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1));
    h[i] = 2 * fc * sinc(2 * fc * n) * w;
    sum += h[i]!;
  }
  for (let i = 0; i < taps; i++) h[i]! /= sum;
  return h;
}

/** Streaming FIR filter keeping its history across frames. */
export class FirFilter {
  private readonly history: Float64Array;
  private pos = 0;

  constructor(private readonly taps: Float64Array) {
    this.history = new Float64Array(taps.length);
  }

  /** Filters one sample. */
  step(x: number): number {
    const n = this.taps.length;
    this.history[this.pos] = x;
    let acc = 0;
    let idx = this.pos;
    for (let i = 0; i < n; i++) {
      acc += this.taps[i]! * this.history[idx]!;
      idx = idx === 0 ? n - 1 : idx - 1;
    }
    this.pos = (this.pos + 1) % n;
    return acc;
  }

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(input.length);
    for (let i = 0; i < input.length; i++) out[i] = clamp(this.step(input[i]!));
    return out;
  }
}

function clamp(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** 16 kHz -> 8 kHz, streaming. */
export class Decimator2 {
  private readonly filter = new FirFilter(lowPassTaps(3700, 16000));

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(input.length >> 1);
    for (let i = 0; i < input.length; i++) {
      const y = this.filter.step(input[i]!);
      if ((i & 1) === 1) out[i >> 1] = clamp(y);
    }
    return out;
  }
}

/** 8 kHz -> 16 kHz, streaming (zero-stuffing then low-pass with gain 2). */
export class Interpolator2 {
  private readonly filter = new FirFilter(lowPassTaps(3700, 16000));

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(input.length * 2);
    for (let i = 0; i < input.length; i++) {
      out[2 * i] = clamp(2 * this.filter.step(input[i]!));
      out[2 * i + 1] = clamp(2 * this.filter.step(0));
    }
    return out;
  }
}

/** Band-limits 16 kHz audio to the telephone band, as a narrowband (G.711) far end would be heard or sound. */
export function telephoneBand(pcm16k: Int16Array): Int16Array {
  return new FirFilter(lowPassTaps(3400, 16000, 127)).process(pcm16k);
}

export function concatPcm(chunks: Int16Array[]): Int16Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Int16Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
