/*
 * ITU-T G.722 64 kbit/s: the integer blocks of src/g722.ts (the reference, and the fallback when
 * this is not built), over the same state layout so either can carry on the other's stream: one
 * int32 array per direction holding the lower and upper sub-band states, the QMF history
 * position and the QMF history. The tests hold the two to each other byte for byte.
 */
#ifndef PARLEY_G722_CORE_H
#define PARLEY_G722_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { S = 0, SZ, DET, NB, A1, A2, R1, R2, P1, P2, D1, B1 = D1 + 6, STATE_SLOTS = B1 + 6 };
enum {
  LOWER = 0,
  UPPER = STATE_SLOTS,
  POS = 2 * STATE_SLOTS,
  HISTORY = POS + 1,
  QMF_TAPS = 24,
  HISTORY_CAPACITY = 1024,
  CODEC_STATE_SLOTS = HISTORY + HISTORY_CAPACITY
};

static const int32_t QMF_EVEN[12] = {3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11};
static const int32_t QMF_ODD[12] = {-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3};
static const int32_t Q6[30] = {0,   35,  72,  110, 150, 190, 233,  276,  323,  370,  422,  473,  530,  587,  650,
                               714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919};
static const int32_t ILN[31] = {0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
                                18, 17, 16, 15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4};
static const int32_t ILP[31] = {0,  61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
                                46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32};
static const int32_t QM6[64] = {
    -136,  -136,  -136,  -136,  -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576,  -6000,  -5456,  -4944,  -4464,  -4008,  -3576,  -3168,  -2776,
    -2400, -2032, -1688, -1360, -1040,  -728,   24808,  21904,  19008,  16704,  14984,  13512,  12280,
    11192, 10232, 9360,  8576,  7856,   7192,   6576,   6000,   5456,   4944,   4464,   4008,   3576,
    3168,  2776,  2400,  2032,  1688,   1360,   1040,   728,    432,    136,    -432,   -136};
static const int32_t QM4[16] = {0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
                                20456, 12896, 8968, 6288, 4240, 2584, 1200, 0};
static const int32_t RL42[16] = {0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0};
static const int32_t WL[8] = {-60, -30, 58, 172, 334, 538, 1198, 3042};
static const int32_t ILB[32] = {2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543,
                                2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228,
                                3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008};
static const int32_t IHN[3] = {0, 1, 0};
static const int32_t IHP[3] = {0, 3, 2};
static const int32_t QM2[4] = {-7408, -1616, 7408, 1616};
static const int32_t RH2[4] = {2, 1, 2, 1};
static const int32_t WH[3] = {0, -214, 798};
enum { Q2 = 564 };

static inline int32_t sat16(int32_t x) { return x > 32767 ? 32767 : x < -32768 ? -32768 : x; }

/* Block 4: RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC. */
static inline void adapt_predictor(int32_t *st, int32_t dq) {
  const int32_t r = sat16(st[S] + dq);
  const int32_t p = sat16(st[SZ] + dq);
  const int32_t old_a1 = st[A1], old_r1 = st[R1];
  const int p_neg = p < 0;
  const int same_as_p1 = p_neg == (st[P1] < 0);

  const int32_t wa = sat16(old_a1 * 4);
  int32_t wb = same_as_p1 ? -wa : wa;
  if (wb > 32767) wb = 32767;
  int32_t a2 = (wb >> 7) + (p_neg == (st[P2] < 0) ? 128 : -128) + ((st[A2] * 32512) >> 15);
  if (a2 > 12288) a2 = 12288;
  else if (a2 < -12288) a2 = -12288;

  int32_t a1 = sat16((same_as_p1 ? 192 : -192) + ((old_a1 * 32640) >> 15));
  const int32_t a1_limit = 15360 - a2;
  if (a1 > a1_limit) a1 = a1_limit;
  else if (a1 < -a1_limit) a1 = -a1_limit;

  const int32_t step = dq == 0 ? 0 : 128;
  const int d_neg = dq < 0;
  int32_t *d = st + D1, *b = st + B1;
  for (int i = 0; i < 6; i++) b[i] = sat16(((d[i] < 0) == d_neg ? step : -step) + ((b[i] * 32640) >> 15));
  for (int i = 5; i > 0; i--) d[i] = d[i - 1];
  d[0] = dq;

  st[P2] = st[P1];
  st[P1] = p;
  st[R2] = old_r1;
  st[R1] = r;
  st[A1] = a1;
  st[A2] = a2;

  const int32_t sp = sat16(((a1 * sat16(r + r)) >> 15) + ((a2 * sat16(old_r1 + old_r1)) >> 15));
  int32_t sz = 0;
  for (int i = 0; i < 6; i++) sz += (b[i] * sat16(d[i] + d[i])) >> 15;
  st[SZ] = sat16(sz);
  st[S] = sat16(sp + st[SZ]);
}

static inline int32_t scale_from_log(int32_t nb, int32_t bias) {
  const int32_t mantissa = ILB[(nb >> 6) & 31];
  const int32_t shift = bias - (nb >> 11);
  const int32_t linear = shift < 0 ? mantissa << -shift : mantissa >> shift;
  return linear << 2;
}

/* LOGSCL + SCALEL */
static inline void adapt_lower_scale(int32_t *st, int32_t code4) {
  int32_t nb = ((st[NB] * 32512) >> 15) + WL[RL42[code4]];
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  st[NB] = nb;
  st[DET] = scale_from_log(nb, 8);
}

/* LOGSCH + SCALEH */
static inline void adapt_upper_scale(int32_t *st, int32_t code2) {
  int32_t nb = ((st[NB] * 32512) >> 15) + WH[RH2[code2]];
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  st[NB] = nb;
  st[DET] = scale_from_log(nb, 10);
}

/* Makes room for two more history samples; returns the index (in the history) where they go. */
static inline int32_t history_push(int32_t *state) {
  int32_t *h = state + HISTORY;
  int32_t pos = state[POS];
  if (pos + 2 > HISTORY_CAPACITY) {
    memmove(h, h + pos - (QMF_TAPS - 2), (QMF_TAPS - 2) * sizeof(int32_t));
    pos = QMF_TAPS - 2;
  }
  state[POS] = pos + 2;
  return pos;
}

/* `count` samples (even) of 16 kHz PCM in, count / 2 bytes out. */
static void g722_encode(int32_t *state, const int16_t *pcm, size_t count, uint8_t *out) {
  int32_t *lo = state + LOWER, *hi = state + UPPER, *h = state + HISTORY;
  for (size_t n = 0; n + 1 < count; n += 2) {
    const int32_t pos = history_push(state);
    h[pos] = pcm[n];
    h[pos + 1] = pcm[n + 1];
    const int32_t newest = pos + 1;
    int32_t xa = 0, xb = 0;
    for (int i = 0; i < 12; i++) {
      xa += QMF_EVEN[i] * h[newest - 2 * i];
      xb += QMF_ODD[i] * h[newest - 2 * i - 1];
    }
    const int32_t xl = (xa + xb) >> 14, xh = (xa - xb) >> 14;

    const int32_t el = sat16(xl - lo[S]);
    const int32_t wdl = el >= 0 ? el : -(el + 1);
    const int32_t detl = lo[DET];
    int mil = 1;
    while (mil < 30 && wdl >= ((Q6[mil] * detl) >> 12)) mil++;
    const int32_t il = el < 0 ? ILN[mil] : ILP[mil];
    const int32_t code4 = il >> 2;
    const int32_t dlt = (detl * QM4[code4]) >> 15;
    adapt_lower_scale(lo, code4);
    adapt_predictor(lo, dlt);

    const int32_t eh = sat16(xh - hi[S]);
    const int32_t wdh = eh >= 0 ? eh : -(eh + 1);
    const int mih = wdh >= ((Q2 * hi[DET]) >> 12) ? 2 : 1;
    const int32_t ih = eh < 0 ? IHN[mih] : IHP[mih];
    const int32_t dh = (hi[DET] * QM2[ih]) >> 15;
    adapt_upper_scale(hi, ih);
    adapt_predictor(hi, dh);

    out[n >> 1] = (uint8_t)((ih << 6) | il);
  }
}

/* `count` bytes in, 2 * count samples of 16 kHz PCM out. */
static void g722_decode(int32_t *state, const uint8_t *bytes, size_t count, int16_t *out) {
  int32_t *lo = state + LOWER, *hi = state + UPPER, *h = state + HISTORY;
  for (size_t n = 0; n < count; n++) {
    const int32_t il = bytes[n] & 0x3f, ih = bytes[n] >> 6;

    int32_t rl = lo[S] + ((lo[DET] * QM6[il]) >> 15);
    if (rl > 16383) rl = 16383;
    else if (rl < -16384) rl = -16384;
    const int32_t code4 = il >> 2;
    const int32_t dlt = (lo[DET] * QM4[code4]) >> 15;
    adapt_lower_scale(lo, code4);
    adapt_predictor(lo, dlt);

    const int32_t dh = (hi[DET] * QM2[ih]) >> 15;
    int32_t rh = hi[S] + dh;
    if (rh > 16383) rh = 16383;
    else if (rh < -16384) rh = -16384;
    adapt_upper_scale(hi, ih);
    adapt_predictor(hi, dh);

    const int32_t pos = history_push(state);
    h[pos] = rl - rh;
    h[pos + 1] = rl + rh;
    int32_t first = 0, second = 0;
    for (int i = 0, j = pos; i < 12; i++, j -= 2) {
      first += QMF_EVEN[i] * h[j];
      second += QMF_ODD[i] * h[j + 1];
    }
    out[2 * n] = (int16_t)sat16(first >> 11);
    out[2 * n + 1] = (int16_t)sat16(second >> 11);
  }
}

/*
 * Silence as the rest code, as src/g722.ts G722Encoder.encodeSilence sends it: `bytes` bytes of
 * G722_REST_CODE into `out`, with the sub-band states adapted exactly as the far end's decoder
 * adapts to them, and the transmit QMF memory cleared (the input was silence). Returns 1 while
 * the last byte still changed a state, 0 once they are at rest (more silence is then the same
 * bytes and no work).
 */
enum { G722_REST_CODE = (3 << 6) | 61 };

static inline int g722_rest(int32_t *state, size_t bytes, uint8_t *out) {
  int32_t *lo = state + LOWER, *hi = state + UPPER, *h = state + HISTORY;
  memset(h + state[POS] - (QMF_TAPS - 2), 0, (QMF_TAPS - 2) * sizeof(int32_t));
  int32_t before[2 * STATE_SLOTS];
  int changed = 1;
  for (size_t n = 0; n < bytes; n++) {
    memcpy(before, state + LOWER, sizeof(before));
    adapt_lower_scale(lo, (G722_REST_CODE & 0x3f) >> 2); /* QM4[15] = 0: no difference to adapt to */
    adapt_predictor(lo, 0);
    const int32_t dh = (hi[DET] * QM2[G722_REST_CODE >> 6]) >> 15;
    adapt_upper_scale(hi, G722_REST_CODE >> 6);
    adapt_predictor(hi, dh);
    changed = memcmp(before, state + LOWER, sizeof(before)) != 0;
    out[n] = G722_REST_CODE;
  }
  return changed;
}

#endif
