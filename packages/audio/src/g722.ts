/**
 * ITU-T G.722 wideband codec, 64 kbit/s (mode 1: 6 bits lower band + 2 bits upper band),
 * written from the Recommendation's block descriptions. 16 kHz PCM in/out, one byte per
 * two samples, so a 20 ms frame is 320 samples <-> 160 bytes.
 *
 * Fixed-point arithmetic follows the Recommendation's integer blocks so that output matches
 * other conforming implementations; the block names (QUANTL, LOGSCL, UPPOL2...) are the
 * Recommendation's. The input/output is 16-bit: the QMF scaling (>> 14 in, >> 11 out)
 * maps it onto the Recommendation's 15-bit sub-band signals.
 *
 * Encoder and decoder are stateful: keep one instance per direction of a call and feed it
 * consecutive frames.
 */
import { join } from 'node:path';

/** Transmit and receive QMF coefficients h0..h23 (symmetric). */
const QMF = [3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3];
/** Even taps h(2i) and odd taps h(2i+1), i = 0..11. */
const QMF_EVEN = new Int32Array(12);
const QMF_ODD = new Int32Array(12);
for (let i = 0; i < 12; i++) {
  QMF_EVEN[i] = QMF[2 * i];
  QMF_ODD[i] = QMF[2 * i + 1];
}

/** QUANTL decision levels (magnitudes, before scaling by the step size), index 1..29 used. */
const Q6 = new Int32Array([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458,
  1612, 1765, 1980, 2195, 2557, 2919,
]);
/** 6-bit codes for the quantizer interval MIL (1..30), negative and positive difference. */
const ILN = new Int32Array([
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
]);
const ILP = new Int32Array([
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
]);
/** Inverse quantizer outputs for 6-bit codes (mode 1 lower band output). */
const QM6 = new Int32Array([
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856, -7192,
  -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008,
  16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400,
  2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
]);
/** Inverse quantizer outputs for the 4-bit truncated code that drives the lower-band predictor. */
const QM4 = new Int32Array([0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0]);
/** LOGSCL: 4-bit code -> magnitude class, and the log step-size multipliers per class. */
const RL42 = new Int32Array([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);
const WL = new Int32Array([-60, -30, 58, 172, 334, 538, 1198, 3042]);
/** SCALEL/SCALEH antilog table. */
const ILB = new Int32Array([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158,
  3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
/** Upper band: 2-bit codes, inverse quantizer, magnitude class and log multipliers. */
const IHN = new Int32Array([0, 1, 0]);
const IHP = new Int32Array([0, 3, 2]);
const QM2 = new Int32Array([-7408, -1616, 7408, 1616]);
const RH2 = new Int32Array([2, 1, 2, 1]);
const WH = new Int32Array([0, -214, 798]);
const Q2 = 564;

function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/**
 * Adaptive predictor and step-size state of one sub-band (identical in encoder and decoder), as
 * one Int32Array: flat integer slots keep the per-sample arithmetic in machine integers, which is
 * most of the codec's speed.
 */
const S = 0; // signal estimate s(n) for the next sample
const SZ = 1; // zero-section output sz(n)
const DET = 2; // quantizer scale factor (step size)
const NB = 3; // log scale factor
const A1 = 4;
const A2 = 5;
const R1 = 6;
const R2 = 7;
const P1 = 8;
const P2 = 9;
const D1 = 10; // quantized differences d(n-1)..d(n-6): slots 10..15
const B1 = 16; // zero-section coefficients b1..b6: slots 16..21
const STATE_SLOTS = 22;

/**
 * One direction's whole state, in one Int32Array: the lower and upper sub-band states, the QMF
 * history position and the QMF history. The native build (native/g722) works on the same layout,
 * so either can carry on a stream the other started.
 */
const LOWER = 0;
const UPPER = STATE_SLOTS;
const POS = 2 * STATE_SLOTS;
const HISTORY = POS + 1;
/** Samples of QMF history kept between calls; the history is compacted when full. */
const QMF_TAPS = 24;
const HISTORY_CAPACITY = 1024;
/** Length of one direction's state array, as an engine takes it. */
export const G722_STATE_SLOTS = HISTORY + HISTORY_CAPACITY;

function codecState(): Int32Array {
  const state = new Int32Array(G722_STATE_SLOTS);
  state[LOWER + DET] = 32;
  state[UPPER + DET] = 8;
  state[POS] = QMF_TAPS - 2;
  return state;
}

/** Makes room for two more history samples; returns the index (in the history) where they go. */
function historyPush(state: Int32Array, h: Int32Array): number {
  let pos = state[POS];
  if (pos + 2 > HISTORY_CAPACITY) {
    h.copyWithin(0, pos - (QMF_TAPS - 2), pos);
    pos = QMF_TAPS - 2;
  }
  state[POS] = pos + 2;
  return pos;
}

/** One zero-section coefficient update (UPZERO): sign agreement with the new difference, leak 32640/32768. */
function upzero(b: number, d: number, dNeg: boolean, step: number): number {
  const v = (d < 0 === dNeg ? step : 0 - step) + (Math.imul(b, 32640) >> 15);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** FILTEZ term: b * 2d, saturated, >> 15. */
function zeroTap(b: number, d: number): number {
  let dd = d + d;
  dd = dd > 32767 ? 32767 : dd < -32768 ? -32768 : dd;
  return Math.imul(b, dd) >> 15;
}

/** Block 4: adaptive predictor update (RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). */
function adaptPredictor(st: Int32Array, dq: number): void {
  const r = sat16(st[S] + dq);
  const p = sat16(st[SZ] + dq);
  const oldA1 = st[A1];
  const oldR1 = st[R1];
  const pNeg = p < 0;
  const sameAsP1 = pNeg === st[P1] < 0;

  // UPPOL2
  const wa = sat16(oldA1 * 4);
  let wb = sameAsP1 ? 0 - wa : wa;
  if (wb > 32767) wb = 32767;
  let a2 = (wb >> 7) + (pNeg === st[P2] < 0 ? 128 : -128) + (Math.imul(st[A2], 32512) >> 15);
  if (a2 > 12288) a2 = 12288;
  else if (a2 < -12288) a2 = -12288;

  // UPPOL1
  let a1 = sat16((sameAsP1 ? 192 : -192) + (Math.imul(oldA1, 32640) >> 15));
  const a1Limit = 15360 - a2;
  if (a1 > a1Limit) a1 = a1Limit;
  else if (a1 < -a1Limit) a1 = -a1Limit;

  // UPZERO and DELAYA for the zero section (unrolled: this runs twice per byte)
  const step = dq === 0 ? 0 : 128;
  const dNeg = dq < 0;
  const d1 = st[D1];
  const d2 = st[D1 + 1];
  const d3 = st[D1 + 2];
  const d4 = st[D1 + 3];
  const d5 = st[D1 + 4];
  const b1 = upzero(st[B1], d1, dNeg, step);
  const b2 = upzero(st[B1 + 1], d2, dNeg, step);
  const b3 = upzero(st[B1 + 2], d3, dNeg, step);
  const b4 = upzero(st[B1 + 3], d4, dNeg, step);
  const b5 = upzero(st[B1 + 4], d5, dNeg, step);
  const b6 = upzero(st[B1 + 5], st[D1 + 5], dNeg, step);
  st[B1] = b1;
  st[B1 + 1] = b2;
  st[B1 + 2] = b3;
  st[B1 + 3] = b4;
  st[B1 + 4] = b5;
  st[B1 + 5] = b6;
  st[D1 + 5] = d5;
  st[D1 + 4] = d4;
  st[D1 + 3] = d3;
  st[D1 + 2] = d2;
  st[D1 + 1] = d1;
  st[D1] = dq;

  // DELAYA for the pole section
  st[P2] = st[P1];
  st[P1] = p;
  st[R2] = oldR1;
  st[R1] = r;
  st[A1] = a1;
  st[A2] = a2;

  // FILTEP
  const sp = sat16((Math.imul(a1, sat16(r + r)) >> 15) + (Math.imul(a2, sat16(oldR1 + oldR1)) >> 15));
  // FILTEZ
  const sz = sat16(zeroTap(b1, dq) + zeroTap(b2, d1) + zeroTap(b3, d2) + zeroTap(b4, d3) + zeroTap(b5, d4) + zeroTap(b6, d5));
  st[SZ] = sz;
  // PREDIC
  st[S] = sat16(sp + sz);
}

/** LOGSCL + SCALEL: lower-band step size adaptation from the 4-bit code. */
function adaptLowerScale(st: Int32Array, code4: number): void {
  let nb = (Math.imul(st[NB], 32512) >> 15) + WL[RL42[code4]];
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  st[NB] = nb;
  st[DET] = scaleFromLog(nb, 8);
}

/** LOGSCH + SCALEH: upper-band step size adaptation from the 2-bit code. */
function adaptUpperScale(st: Int32Array, code2: number): void {
  let nb = (Math.imul(st[NB], 32512) >> 15) + WH[RH2[code2]];
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  st[NB] = nb;
  st[DET] = scaleFromLog(nb, 10);
}

function scaleFromLog(nb: number, bias: number): number {
  const mantissa = ILB[(nb >> 6) & 31];
  const shift = bias - (nb >> 11);
  const linear = shift < 0 ? mantissa << -shift : mantissa >> shift;
  return linear << 2;
}

/**
 * The byte sent for silence: lower-band code 61 and upper-band code 3, the smallest positive
 * differences. Their 4-bit and 2-bit inverse-quantized values are zero (at the minimum step
 * size for the upper band), so under a run of them every adaptive term only decays: the decoder's
 * output settles at a constant within a few LSB of zero and the state of both ends stops
 * changing. Encoding real silence never settles: G.722's quantizer has no zero level, so the
 * predictor keeps chasing ±1 forever.
 */
export const G722_REST_CODE = (3 << 6) | 61;


/** Encodes `count` samples (even) of `pcm` from `from` into count / 2 bytes of `out` from `at`. */
function encodeJs(state: Int32Array, pcm: Int16Array, from: number, count: number, out: Uint8Array, at: number): void {
  const lo = state.subarray(LOWER, LOWER + STATE_SLOTS);
  const hi = state.subarray(UPPER, UPPER + STATE_SLOTS);
  const h = state.subarray(HISTORY);
  for (let n = 0; n + 1 < count; n += 2) out[at + (n >> 1)] = encodePair(state, lo, hi, h, pcm[from + n], pcm[from + n + 1]);
}

function encodePair(state: Int32Array, lo: Int32Array, hi: Int32Array, h: Int32Array, first: number, second: number): number {
  const pos = historyPush(state, h);
  h[pos] = first;
  h[pos + 1] = second;
  // Transmit QMF: xA uses the newest sample and every second one before it, xB the others.
  const newest = pos + 1;
  let xa = 0;
  let xb = 0;
  for (let i = 0; i < 12; i++) {
    xa += Math.imul(QMF_EVEN[i], h[newest - 2 * i]);
    xb += Math.imul(QMF_ODD[i], h[newest - 2 * i - 1]);
  }
  const xl = (xa + xb) >> 14;
  const xh = (xa - xb) >> 14;

  // Lower sub-band: SUBTRA, QUANTL, INVQAL, scale and predictor adaptation.
  const el = sat16(xl - lo[S]);
  const wdl = el >= 0 ? el : -(el + 1);
  const detl = lo[DET];
  let mil = 1;
  while (mil < 30 && wdl >= Math.imul(Q6[mil], detl) >> 12) mil++;
  const il = el < 0 ? ILN[mil] : ILP[mil];
  const code4 = il >> 2;
  const dlt = Math.imul(detl, QM4[code4]) >> 15;
  adaptLowerScale(lo, code4);
  adaptPredictor(lo, dlt);

  // Upper sub-band: SUBTRA, QUANTH, INVQAH, scale and predictor adaptation.
  const eh = sat16(xh - hi[S]);
  const wdh = eh >= 0 ? eh : -(eh + 1);
  const mih = wdh >= Math.imul(Q2, hi[DET]) >> 12 ? 2 : 1;
  const ih = eh < 0 ? IHN[mih] : IHP[mih];
  const dh = Math.imul(hi[DET], QM2[ih]) >> 15;
  adaptUpperScale(hi, ih);
  adaptPredictor(hi, dh);

  return (ih << 6) | il;
}

/** Decodes `bytes` into two samples each, written to `out`. */
function decodeJs(state: Int32Array, bytes: Uint8Array, out: Int16Array): void {
  const lo = state.subarray(LOWER, LOWER + STATE_SLOTS);
  const hi = state.subarray(UPPER, UPPER + STATE_SLOTS);
  const h = state.subarray(HISTORY);
  for (let n = 0; n < bytes.length; n++) {
    const code = bytes[n];
    const il = code & 0x3f;
    const ih = code >> 6;

    // Lower sub-band: INVQBL (6-bit) for the output, INVQAL (4-bit) for adaptation.
    let rl = lo[S] + (Math.imul(lo[DET], QM6[il]) >> 15);
    if (rl > 16383) rl = 16383;
    else if (rl < -16384) rl = -16384;
    const code4 = il >> 2;
    const dlt = Math.imul(lo[DET], QM4[code4]) >> 15;
    adaptLowerScale(lo, code4);
    adaptPredictor(lo, dlt);

    // Upper sub-band.
    const dh = Math.imul(hi[DET], QM2[ih]) >> 15;
    let rh = hi[S] + dh;
    if (rh > 16383) rh = 16383;
    else if (rh < -16384) rh = -16384;
    adaptUpperScale(hi, ih);
    adaptPredictor(hi, dh);

    // Receive QMF: first output uses xd = rl - rh with the even taps, second xs = rl + rh with the odd taps.
    const pos = historyPush(state, h);
    h[pos] = rl - rh;
    h[pos + 1] = rl + rh;
    let first = 0;
    let second = 0;
    for (let i = 0, j = pos; i < 12; i++, j -= 2) {
      first += Math.imul(QMF_EVEN[i], h[j]);
      second += Math.imul(QMF_ODD[i], h[j + 1]);
    }
    out[2 * n] = sat16(first >> 11);
    out[2 * n + 1] = sat16(second >> 11);
  }
}

/**
 * The same loops in C (native/g722, built by node-gyp at install), about twice as fast; the
 * JavaScript above when the addon is not built or `PARLEY_G722=js`.
 */
export interface G722Engine {
  readonly name: 'native' | 'js';
  encode(state: Int32Array, pcm: Int16Array, from: number, count: number, out: Uint8Array, at: number): void;
  decode(state: Int32Array, bytes: Uint8Array, out: Int16Array): void;
}

export const G722_JS: G722Engine = { name: 'js', encode: encodeJs, decode: decodeJs };

function loadNative(): G722Engine | undefined {
  if (process.env.PARLEY_G722 === 'js') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(join(__dirname, '..', 'native', 'g722', 'build', 'Release', 'parley_g722.node')) as Omit<G722Engine, 'name'> & { slots: number };
    // A build from other sources (another state layout) is not used.
    if (addon.slots !== G722_STATE_SLOTS) return undefined;
    return { name: 'native', encode: addon.encode, decode: addon.decode };
  } catch {
    return undefined;
  }
}

/** The native engine, when it is built (for the equivalence tests and the benchmark). */
export const G722_NATIVE: G722Engine | undefined = loadNative();

/** The engine new encoders and decoders use. */
export const g722Engine: G722Engine = G722_NATIVE ?? G722_JS;

/** Stateful G.722 encoder: 16 kHz PCM in, 64 kbit/s G.722 bytes out. */
export class G722Encoder {
  private readonly state = codecState();
  private readonly lower = this.state.subarray(LOWER, LOWER + STATE_SLOTS);
  private readonly upper = this.state.subarray(UPPER, UPPER + STATE_SLOTS);
  private readonly history = this.state.subarray(HISTORY);
  /** An odd trailing sample waiting for its pair. */
  private pending: number | null = null;
  /** The state stopped changing under the rest code: more silence is the same bytes, no work. */
  private resting = false;
  private restPayload: Buffer | undefined;
  private readonly before = new Int32Array(2 * STATE_SLOTS);

  constructor(private readonly engine: G722Engine = g722Engine) {}

  /**
   * Silence: `bytes` bytes of the rest code, with the encoder state adapted exactly as the far
   * end's decoder adapts to them (so the two stay in step). Costs about half an encode until the
   * state comes to rest (~130 ms of silence), then nothing. The returned buffer may be shared
   * between calls: copy it, do not change it.
   */
  encodeSilence(bytes: number): Buffer {
    if (this.resting && this.restPayload?.length === bytes) return this.restPayload;
    const payload = Buffer.alloc(bytes, G722_REST_CODE);
    if (this.resting) {
      this.restPayload = payload;
      return payload;
    }
    // The input was silence: so is the transmit QMF's memory when speech resumes.
    const pos = this.state[POS];
    this.history.fill(0, pos - (QMF_TAPS - 2), pos);
    this.pending = null;
    const lo = this.lower;
    const hi = this.upper;
    const before = this.before;
    let changed = true;
    for (let n = 0; n < bytes; n++) {
      before.set(lo, 0);
      before.set(hi, STATE_SLOTS);
      adaptLowerScale(lo, (G722_REST_CODE & 0x3f) >> 2); // QM4[15] = 0: no difference to adapt to
      adaptPredictor(lo, 0);
      const dh = Math.imul(hi[DET], QM2[G722_REST_CODE >> 6]) >> 15;
      adaptUpperScale(hi, G722_REST_CODE >> 6);
      adaptPredictor(hi, dh);
      changed = false;
      for (let i = 0; i < STATE_SLOTS; i++) {
        if (lo[i] !== before[i] || hi[i] !== before[STATE_SLOTS + i]) {
          changed = true;
          break;
        }
      }
    }
    if (!changed) {
      this.resting = true;
      this.restPayload = payload;
    }
    return payload;
  }

  /**
   * Encodes PCM; returns one byte per two samples. An odd sample count leaves the last
   * sample pending until the next call.
   */
  encode(pcm: Int16Array): Buffer {
    const out = Buffer.allocUnsafe((pcm.length + (this.pending === null ? 0 : 1)) >> 1);
    this.encodeInto(pcm, out);
    return out;
  }

  /** Encodes into `out` (which must hold the byte count `encode` would return); returns bytes written. */
  encodeInto(pcm: Int16Array, out: Uint8Array): number {
    if (pcm.length === 0) return 0;
    this.resting = false;
    let i = 0;
    let k = 0;
    if (this.pending !== null) {
      out[k++] = encodePair(this.state, this.lower, this.upper, this.history, this.pending, pcm[0]);
      this.pending = null;
      i = 1;
    }
    const even = (pcm.length - i) & ~1;
    this.engine.encode(this.state, pcm, i, even, out, k);
    k += even >> 1;
    i += even;
    if (i < pcm.length) this.pending = pcm[i];
    return k;
  }
}

/** Stateful G.722 decoder (mode 1): 64 kbit/s G.722 bytes in, 16 kHz PCM out. */
export class G722Decoder {
  private readonly state = codecState();
  private readonly lower = this.state.subarray(LOWER, LOWER + STATE_SLOTS);
  private readonly upper = this.state.subarray(UPPER, UPPER + STATE_SLOTS);

  constructor(private readonly engine: G722Engine = g722Engine) {}

  /** Decodes bytes; returns two samples per byte. Writes into `out` when given. */
  decode(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length * 2)): Int16Array {
    if (out.length < bytes.length * 2) throw new RangeError(`G.722: ${bytes.length} bytes need ${bytes.length * 2} samples of room, got ${out.length}`);
    this.engine.decode(this.state, bytes, out);
    return out;
  }
}
