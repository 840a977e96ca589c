/**
 * Small signal measurements: levels, tone detection (voicemail beeps), an energy VAD,
 * test-tone generation, SNR, and word error rate for judging STT output.
 */

const FULL_SCALE = 32768;

/** Root mean square of samples [start, end). 0 for an empty range. */
export function rms(pcm: Int16Array, start = 0, end = pcm.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) sum += pcm[i] * pcm[i];
  return Math.sqrt(sum / n);
}

/** Level relative to full scale (a full-scale square wave is 0 dBFS); -Infinity for digital silence. */
export function dbfs(pcm: Int16Array, start = 0, end = pcm.length): number {
  const r = rms(pcm, start, end);
  return r === 0 ? -Infinity : 20 * Math.log10(r / FULL_SCALE);
}

/**
 * Peak amplitude (in sample units) of the `frequency` component over [start, end),
 * measured with the Goertzel algorithm. A pure sine of amplitude A reads about A when the
 * range holds a whole number of its periods.
 */
export function toneAmplitude(pcm: Int16Array, frequency: number, sampleRate: number, start = 0, end = pcm.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const s0 = pcm[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / n;
}

/**
 * Fraction of the range's energy that sits in the `frequency` component (0..1): a pure
 * tone reads ~1, a mix of two equal tones ~0.5 each, noise ~0.
 */
export function toneEnergyFraction(pcm: Int16Array, frequency: number, sampleRate: number, start = 0, end = pcm.length): number {
  const total = rms(pcm, start, end);
  if (total === 0) return 0;
  const amplitude = toneAmplitude(pcm, frequency, sampleRate, start, end);
  // A sine of amplitude A has rms A / sqrt(2).
  return Math.min(1, (amplitude * amplitude) / 2 / (total * total));
}

export interface ToneDetectorOptions {
  sampleRate: number;
  /** Frequencies to listen for, Hz (voicemail beeps: commonly 1000 or 1400, sometimes 440/850/950). */
  frequencies: number[];
  /** Shortest tone that counts, ms (default 200). */
  minDurationMs?: number;
  /** Analysis block length, ms (default 10). */
  blockMs?: number;
  /** Share of a block's energy that must be in the tone (default 0.7). */
  minEnergyFraction?: number;
  /** Quietest tone that counts, dBFS (default -45). */
  minLevelDbfs?: number;
}

export interface ToneDetection {
  frequency: number;
  /** Position of the tone's start in the stream, ms. */
  startMs: number;
  /** How long it had lasted when it was reported, ms (>= minDurationMs). */
  durationMs: number;
}

/**
 * Streaming Goertzel tone detector: push PCM chunks of any size; a tone is reported once,
 * as soon as it has lasted `minDurationMs`, then not again until it stops.
 */
export class ToneDetector {
  private readonly sampleRate: number;
  private readonly frequencies: number[];
  private readonly blockSize: number;
  private readonly minBlocks: number;
  private readonly minEnergyFraction: number;
  private readonly minRms: number;
  private readonly block: Int16Array;
  private blockFill = 0;
  private blocksSeen = 0;
  /** Index into frequencies of the tone in the current run, or -1. */
  private runFrequency = -1;
  private runStartBlock = 0;
  private runBlocks = 0;
  private runReported = false;

  constructor(options: ToneDetectorOptions) {
    this.sampleRate = options.sampleRate;
    this.frequencies = [...options.frequencies];
    this.blockSize = Math.max(1, Math.round(((options.blockMs ?? 10) * options.sampleRate) / 1000));
    const blockMs = (this.blockSize * 1000) / options.sampleRate;
    this.minBlocks = Math.max(1, Math.ceil((options.minDurationMs ?? 200) / blockMs));
    this.minEnergyFraction = options.minEnergyFraction ?? 0.7;
    this.minRms = FULL_SCALE * Math.pow(10, (options.minLevelDbfs ?? -45) / 20);
    this.block = new Int16Array(this.blockSize);
  }

  /** Feeds samples; returns the tones that reached the minimum duration within them. */
  push(pcm: Int16Array): ToneDetection[] {
    const detections: ToneDetection[] = [];
    let i = 0;
    while (i < pcm.length) {
      const take = Math.min(this.blockSize - this.blockFill, pcm.length - i);
      this.block.set(pcm.subarray(i, i + take), this.blockFill);
      this.blockFill += take;
      i += take;
      if (this.blockFill === this.blockSize) {
        const detection = this.analyseBlock();
        if (detection) detections.push(detection);
        this.blockFill = 0;
      }
    }
    return detections;
  }

  private analyseBlock(): ToneDetection | undefined {
    const blockIndex = this.blocksSeen++;
    let found = -1;
    if (rms(this.block) >= this.minRms) {
      for (let f = 0; f < this.frequencies.length; f++) {
        if (toneEnergyFraction(this.block, this.frequencies[f], this.sampleRate) >= this.minEnergyFraction) {
          found = f;
          break;
        }
      }
    }
    if (found < 0 || found !== this.runFrequency) {
      this.runFrequency = found;
      this.runStartBlock = blockIndex;
      this.runBlocks = found < 0 ? 0 : 1;
      this.runReported = false;
    } else {
      this.runBlocks++;
    }
    if (found >= 0 && !this.runReported && this.runBlocks >= this.minBlocks) {
      this.runReported = true;
      const blockMs = (this.blockSize * 1000) / this.sampleRate;
      return { frequency: this.frequencies[found], startMs: this.runStartBlock * blockMs, durationMs: this.runBlocks * blockMs };
    }
    return undefined;
  }
}

export interface EnergyVadOptions {
  /** Frames at or above this level are speech (default -45 dBFS). */
  thresholdDbfs?: number;
  /** Frames that stay "speech" after the level drops, bridging short pauses (default 0). */
  hangoverFrames?: number;
}

/** Frame-by-frame energy voice activity decision: a cheap fallback and a test helper, not a speech model. */
export class EnergyVad {
  private readonly thresholdRms: number;
  private readonly hangoverFrames: number;
  private hangoverLeft = 0;

  constructor(options: EnergyVadOptions = {}) {
    this.thresholdRms = FULL_SCALE * Math.pow(10, (options.thresholdDbfs ?? -45) / 20);
    this.hangoverFrames = options.hangoverFrames ?? 0;
  }

  /** True if this frame counts as speech. */
  isSpeech(frame: Int16Array): boolean {
    if (rms(frame) >= this.thresholdRms) {
      this.hangoverLeft = this.hangoverFrames;
      return true;
    }
    if (this.hangoverLeft > 0) {
      this.hangoverLeft--;
      return true;
    }
    return false;
  }

  reset(): void {
    this.hangoverLeft = 0;
  }
}

export interface ToneOptions {
  frequency: number;
  sampleRate: number;
  durationMs: number;
  /** Peak amplitude in sample units (default 16384, i.e. -6 dBFS peak). */
  amplitude?: number;
  /** Start phase, radians. */
  phase?: number;
}

/** A sine tone as 16-bit PCM. */
export function generateTone(options: ToneOptions): Int16Array {
  const n = Math.round((options.durationMs * options.sampleRate) / 1000);
  const amplitude = options.amplitude ?? 16384;
  const step = (2 * Math.PI * options.frequency) / options.sampleRate;
  const phase = options.phase ?? 0;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin(phase + step * i));
  return out;
}

/**
 * Signal-to-noise ratio in dB of `test` against `reference`, where test[i + delay] is compared
 * with reference[i] over the overlapping range. Infinity when they are identical.
 */
export function snrDb(reference: Int16Array, test: Int16Array, delay = 0): number {
  let signal = 0;
  let noise = 0;
  const start = Math.max(0, -delay);
  const end = Math.min(reference.length, test.length - delay);
  for (let i = start; i < end; i++) {
    const r = reference[i];
    const e = test[i + delay] - r;
    signal += r * r;
    noise += e * e;
  }
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/** The delay in [0, maxDelay] at which `test` best matches `reference`, and the SNR there. */
export function alignedSnrDb(reference: Int16Array, test: Int16Array, maxDelay: number): { snrDb: number; delay: number } {
  let best = { snrDb: -Infinity, delay: 0 };
  for (let delay = 0; delay <= maxDelay; delay++) {
    const s = snrDb(reference, test, delay);
    if (s > best.snrDb) best = { snrDb: s, delay };
  }
  return best;
}

/** Lowercases, drops punctuation (keeping apostrophes inside words) and splits on whitespace. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/**
 * Word error rate: (substitutions + deletions + insertions) / reference words, by Levenshtein
 * distance over normalized words. An empty reference gives 0 for an empty hypothesis, else 1.
 */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  // One row of the edit-distance matrix at a time.
  let previous = new Array<number>(hyp.length + 1);
  let current = new Array<number>(hyp.length + 1);
  for (let j = 0; j <= hyp.length; j++) previous[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    current[0] = i;
    for (let j = 1; j <= hyp.length; j++) {
      const substitution = previous[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j] + 1, current[j - 1] + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[hyp.length] / ref.length;
}

/** The pieces of audio, one after another, in one array. */
export function concatPcm(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
