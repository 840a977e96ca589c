/**
 * Sample-rate conversion by a rational factor L/M with a polyphase windowed-sinc (Kaiser)
 * low-pass: the filter cuts below the lower of the two Nyquist frequencies, so downsampling
 * does not alias and upsampling does not leave images. Used for TTS output (espeak-ng 22050 Hz,
 * OpenAI 24000 Hz, 48000 Hz) -> the leg's rate, and 8 kHz G.711 -> 16 kHz for STT/VAD.
 */

export interface ResamplerOptions {
  /** Passband edge as a fraction of the lower Nyquist frequency (default 0.9: 3.6 kHz at 8 kHz, 7.2 kHz at 16 kHz). */
  passband?: number;
  /** Sinc zero crossings on each side of the kernel: more is a steeper cut and more work (default 24). */
  zeroCrossings?: number;
  /** Kaiser window beta (default 8.6, ~85 dB stopband). */
  kaiserBeta?: number;
}

/** Coefficients for one (L, M, options) combination, shared by every Resampler that needs them. */
export interface FilterBank {
  up: number;
  down: number;
  /** Taps per phase. */
  taps: number;
  /** bank[p * taps + j] multiplies x[n - j] for output phase p. */
  bank: Float32Array;
  /** Group delay in output samples (an integer by construction). */
  delay: number;
}

const MAX_PHASES = 4096;
const banks = new Map<string, FilterBank>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/**
 * The polyphase filter a Resampler of these rates and options runs (shared, read-only): what the
 * native RTP engine filters narrowband legs with, so both run the same coefficients.
 */
export function filterBank(fromRate: number, toRate: number, options: ResamplerOptions = {}): Readonly<FilterBank> {
  const passband = options.passband ?? 0.9;
  const zeroCrossings = options.zeroCrossings ?? 24;
  const beta = options.kaiserBeta ?? 8.6;
  const key = `${fromRate}:${toRate}:${passband}:${zeroCrossings}:${beta}`;
  const cached = banks.get(key);
  if (cached) return cached;

  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  if (up > MAX_PHASES) throw new RangeError(`resampling ${fromRate} -> ${toRate} Hz needs ${up} filter phases (max ${MAX_PHASES})`);
  const upRate = fromRate * up;
  // Cutoff (the -6 dB point) halfway through the transition band, which ends at the lower Nyquist frequency.
  const nyquist = Math.min(fromRate, toRate) / 2;
  const transition = nyquist * (1 - passband);
  const cutoff = (nyquist - transition / 2) / upRate; // cycles per upsampled sample
  // Half length in upsampled samples, rounded up to a multiple of `down` so the delay is whole output samples.
  const delay = Math.ceil(zeroCrossings / (2 * cutoff) / down);
  const half = delay * down;
  const length = 2 * half + 1;
  const taps = Math.ceil(length / up);
  const prototype = new Float64Array(taps * up);
  const i0Beta = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const t = n - half;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const r = t / half;
    prototype[n] = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta);
  }
  const bank = new Float32Array(up * taps);
  for (let p = 0; p < up; p++) {
    // Each phase gets unity DC gain, so no phase-dependent ripple on steady signals.
    let sum = 0;
    for (let j = 0; j < taps; j++) sum += prototype[p + j * up];
    for (let j = 0; j < taps; j++) bank[p * taps + j] = prototype[p + j * up] / sum;
  }
  const result = { up, down, taps, bank, delay };
  banks.set(key, result);
  return result;
}

/**
 * Streaming resampler for one mono stream. Feed chunks of any size; the filter history is
 * kept, so 20 ms chunks join without clicks, and after N input samples in total exactly
 * ceil(N * to / from) samples have come out. Output lags input by `delay` output samples.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Filter delay in output samples (0 when the rates are equal). */
  readonly delay: number;
  private readonly filter: FilterBank | undefined;
  /** [history (taps - 1 samples) | current chunk] */
  private work: Float32Array;
  /** Index in `work` of the newest input sample the next output depends on. */
  private position: number;
  private phase = 0;

  constructor(fromRate: number, toRate: number, options: ResamplerOptions = {}) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`sample rates must be positive integers, got ${fromRate} -> ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.filter = fromRate === toRate ? undefined : filterBank(fromRate, toRate, options);
    this.delay = this.filter?.delay ?? 0;
    const history = this.filter ? this.filter.taps - 1 : 0;
    this.work = new Float32Array(history + 1024);
    this.position = history;
  }

  /** Upper bound of the samples `process` returns for an input of `inputLength` samples. */
  maxOutputLength(inputLength: number): number {
    if (!this.filter) return inputLength;
    return Math.ceil((inputLength * this.filter.up) / this.filter.down) + 1;
  }

  /** Resamples the next chunk of the stream. */
  process(input: Int16Array): Int16Array {
    const out = new Int16Array(this.maxOutputLength(input.length));
    const n = this.processInto(input, out);
    return n === out.length ? out : out.slice(0, n);
  }

  /** Resamples into `out` (at least maxOutputLength(input.length) long); returns the samples written. */
  processInto(input: Int16Array, out: Int16Array): number {
    const f = this.filter;
    if (!f) {
      out.set(input);
      return input.length;
    }
    const history = f.taps - 1;
    const needed = history + input.length;
    if (this.work.length < needed) {
      const grown = new Float32Array(needed + 1024);
      grown.set(this.work.subarray(0, history));
      this.work = grown;
    }
    const work = this.work;
    for (let i = 0; i < input.length; i++) work[history + i] = input[i];

    const { up, down, taps, bank } = f;
    let position = this.position;
    let phase = this.phase;
    let written = 0;
    while (position < needed) {
      const base = phase * taps;
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += bank[base + j] * work[position - j];
      out[written++] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
      phase += down;
      while (phase >= up) {
        phase -= up;
        position++;
      }
    }
    // Keep the last taps - 1 samples as history for the next chunk.
    work.copyWithin(0, input.length, needed);
    this.position = position - input.length;
    this.phase = phase;
    return written;
  }

  /** Forgets the stream (history and phase), e.g. after barge-in cancels playback. */
  reset(): void {
    if (!this.filter) return;
    this.work.fill(0, 0, this.filter.taps - 1);
    this.position = this.filter.taps - 1;
    this.phase = 0;
  }
}

/**
 * Resamples a whole signal in one go, compensating the filter delay: the output is time-aligned
 * with the input and has ceil(N * to / from) samples.
 */
export function resample(input: Int16Array, fromRate: number, toRate: number, options: ResamplerOptions = {}): Int16Array {
  if (fromRate === toRate) return input.slice();
  const resampler = new Resampler(fromRate, toRate, options);
  const length = Math.ceil((input.length * toRate) / fromRate);
  const head = resampler.process(input);
  // Push enough silence through to flush the delayed tail.
  const tail = resampler.process(new Int16Array(Math.ceil(((resampler.delay + 2) * fromRate) / toRate) + 1));
  const out = new Int16Array(length);
  const skip = resampler.delay;
  const fromHead = Math.max(0, Math.min(length, head.length - skip));
  out.set(head.subarray(skip, skip + fromHead), 0);
  out.set(tail.subarray(Math.max(0, skip - head.length), Math.max(0, skip - head.length) + length - fromHead), fromHead);
  return out;
}
