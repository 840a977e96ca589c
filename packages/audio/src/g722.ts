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

/** Adaptive predictor and step-size state of one sub-band (identical in encoder and decoder). */
class SubBandState {
  /** Signal estimate s(n) for the next sample. */
  s = 0;
  /** Zero-section output sz(n). */
  sz = 0;
  /** Quantizer scale factor (step size). */
  det: number;
  /** Log scale factor. */
  nb = 0;
  a1 = 0;
  a2 = 0;
  r1 = 0;
  r2 = 0;
  p1 = 0;
  p2 = 0;
  /** Quantized differences d(n-1)..d(n-6) and zero-section coefficients, index 1..6. */
  readonly d = new Int32Array(7);
  readonly b = new Int32Array(7);

  constructor(initialDet: number) {
    this.det = initialDet;
  }
}

/** Block 4: adaptive predictor update (RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). */
function adaptPredictor(st: SubBandState, dq: number): void {
  const r = sat16(st.s + dq);
  const p = sat16(st.sz + dq);
  const pNeg = p < 0;
  const sameAsP1 = pNeg === st.p1 < 0;

  // UPPOL2
  const wa = sat16(st.a1 * 4);
  let wb = sameAsP1 ? -wa : wa;
  if (wb > 32767) wb = 32767;
  let a2 = (wb >> 7) + (pNeg === st.p2 < 0 ? 128 : -128) + ((st.a2 * 32512) >> 15);
  if (a2 > 12288) a2 = 12288;
  else if (a2 < -12288) a2 = -12288;

  // UPPOL1
  let a1 = sat16((sameAsP1 ? 192 : -192) + ((st.a1 * 32640) >> 15));
  const a1Limit = 15360 - a2;
  if (a1 > a1Limit) a1 = a1Limit;
  else if (a1 < -a1Limit) a1 = -a1Limit;

  // UPZERO and DELAYA for the zero section
  const d = st.d;
  const b = st.b;
  const step = dq === 0 ? 0 : 128;
  const dNeg = dq < 0;
  for (let i = 1; i < 7; i++) {
    const delta = d[i] < 0 === dNeg ? step : -step;
    b[i] = sat16(delta + ((b[i] * 32640) >> 15));
  }
  for (let i = 6; i > 1; i--) d[i] = d[i - 1];
  d[1] = dq;

  // DELAYA for the pole section
  st.p2 = st.p1;
  st.p1 = p;
  st.r2 = st.r1;
  st.r1 = r;
  st.a1 = a1;
  st.a2 = a2;

  // FILTEP
  const sp = sat16(((a1 * sat16(r + r)) >> 15) + ((a2 * sat16(st.r2 + st.r2)) >> 15));
  // FILTEZ
  let sz = 0;
  for (let i = 6; i > 0; i--) sz += (b[i] * sat16(d[i] + d[i])) >> 15;
  st.sz = sat16(sz);
  // PREDIC
  st.s = sat16(sp + st.sz);
}

/** LOGSCL + SCALEL: lower-band step size adaptation from the 4-bit code. */
function adaptLowerScale(st: SubBandState, code4: number): void {
  let nb = ((st.nb * 32512) >> 15) + WL[RL42[code4]];
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  st.nb = nb;
  st.det = scaleFromLog(nb, 8);
}

/** LOGSCH + SCALEH: upper-band step size adaptation from the 2-bit code. */
function adaptUpperScale(st: SubBandState, code2: number): void {
  let nb = ((st.nb * 32512) >> 15) + WH[RH2[code2]];
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  st.nb = nb;
  st.det = scaleFromLog(nb, 10);
}

function scaleFromLog(nb: number, bias: number): number {
  const mantissa = ILB[(nb >> 6) & 31];
  const shift = bias - (nb >> 11);
  const linear = shift < 0 ? mantissa << -shift : mantissa >> shift;
  return linear << 2;
}

/** Samples of QMF history kept between calls; the buffers are compacted when full. */
const QMF_TAPS = 24;
const HISTORY_CAPACITY = 1024;

/** Stateful G.722 encoder: 16 kHz PCM in, 64 kbit/s G.722 bytes out. */
export class G722Encoder {
  private readonly lower = new SubBandState(32);
  private readonly upper = new SubBandState(8);
  private readonly history = new Int32Array(HISTORY_CAPACITY);
  private pos = QMF_TAPS - 2;
  /** An odd trailing sample waiting for its pair. */
  private pending: number | null = null;

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
    let i = 0;
    let k = 0;
    if (this.pending !== null && pcm.length > 0) {
      out[k++] = this.encodePair(this.pending, pcm[0]);
      this.pending = null;
      i = 1;
    }
    for (; i + 1 < pcm.length; i += 2) out[k++] = this.encodePair(pcm[i], pcm[i + 1]);
    if (i < pcm.length) this.pending = pcm[i];
    return k;
  }

  private encodePair(first: number, second: number): number {
    const h = this.history;
    if (this.pos + 2 > HISTORY_CAPACITY) {
      h.copyWithin(0, this.pos - (QMF_TAPS - 2), this.pos);
      this.pos = QMF_TAPS - 2;
    }
    h[this.pos] = first;
    h[this.pos + 1] = second;
    this.pos += 2;
    // Transmit QMF: xA uses the newest sample and every second one before it, xB the others.
    const newest = this.pos - 1;
    let xa = 0;
    let xb = 0;
    for (let i = 0; i < 12; i++) {
      xa += QMF_EVEN[i] * h[newest - 2 * i];
      xb += QMF_ODD[i] * h[newest - 2 * i - 1];
    }
    const xl = (xa + xb) >> 14;
    const xh = (xa - xb) >> 14;

    // Lower sub-band: SUBTRA, QUANTL, INVQAL, scale and predictor adaptation.
    const lo = this.lower;
    const el = sat16(xl - lo.s);
    const wdl = el >= 0 ? el : -(el + 1);
    let mil = 1;
    while (mil < 30 && wdl >= (Q6[mil] * lo.det) >> 12) mil++;
    const il = el < 0 ? ILN[mil] : ILP[mil];
    const code4 = il >> 2;
    const dlt = (lo.det * QM4[code4]) >> 15;
    adaptLowerScale(lo, code4);
    adaptPredictor(lo, dlt);

    // Upper sub-band: SUBTRA, QUANTH, INVQAH, scale and predictor adaptation.
    const hi = this.upper;
    const eh = sat16(xh - hi.s);
    const wdh = eh >= 0 ? eh : -(eh + 1);
    const mih = wdh >= (Q2 * hi.det) >> 12 ? 2 : 1;
    const ih = eh < 0 ? IHN[mih] : IHP[mih];
    const dh = (hi.det * QM2[ih]) >> 15;
    adaptUpperScale(hi, ih);
    adaptPredictor(hi, dh);

    return (ih << 6) | il;
  }
}

/** Stateful G.722 decoder (mode 1): 64 kbit/s G.722 bytes in, 16 kHz PCM out. */
export class G722Decoder {
  private readonly lower = new SubBandState(32);
  private readonly upper = new SubBandState(8);
  /** Interleaved receive-QMF history: [xd, xs] per decoded byte. */
  private readonly history = new Int32Array(HISTORY_CAPACITY);
  private pos = QMF_TAPS - 2;

  /** Decodes bytes; returns two samples per byte. Writes into `out` when given. */
  decode(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length * 2)): Int16Array {
    const h = this.history;
    const lo = this.lower;
    const hi = this.upper;
    for (let n = 0; n < bytes.length; n++) {
      const code = bytes[n];
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower sub-band: INVQBL (6-bit) for the output, INVQAL (4-bit) for adaptation.
      let rl = lo.s + ((lo.det * QM6[il]) >> 15);
      if (rl > 16383) rl = 16383;
      else if (rl < -16384) rl = -16384;
      const code4 = il >> 2;
      const dlt = (lo.det * QM4[code4]) >> 15;
      adaptLowerScale(lo, code4);
      adaptPredictor(lo, dlt);

      // Upper sub-band.
      const dh = (hi.det * QM2[ih]) >> 15;
      let rh = hi.s + dh;
      if (rh > 16383) rh = 16383;
      else if (rh < -16384) rh = -16384;
      adaptUpperScale(hi, ih);
      adaptPredictor(hi, dh);

      // Receive QMF: first output uses xd = rl - rh with the even taps, second xs = rl + rh with the odd taps.
      if (this.pos + 2 > HISTORY_CAPACITY) {
        h.copyWithin(0, this.pos - (QMF_TAPS - 2), this.pos);
        this.pos = QMF_TAPS - 2;
      }
      h[this.pos] = rl - rh;
      h[this.pos + 1] = rl + rh;
      this.pos += 2;
      let first = 0;
      let second = 0;
      for (let i = 0, j = this.pos - 2; i < 12; i++, j -= 2) {
        first += QMF_EVEN[i] * h[j];
        second += QMF_ODD[i] * h[j + 1];
      }
      out[2 * n] = sat16(first >> 11);
      out[2 * n + 1] = sat16(second >> 11);
    }
    return out;
  }
}
