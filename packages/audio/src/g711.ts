/**
 * ITU-T G.711 companding: μ-law (PCMU, North America/Japan) and A-law (PCMA, elsewhere).
 * One byte per 8 kHz sample. The buffer functions use lookup tables built once at load,
 * so the per-call hot path is a table read per sample.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** Encodes one 16-bit linear sample to a μ-law byte. */
export function linearToUlaw(sample: number): number {
  let s = sample | 0;
  let sign = 0;
  if (s < 0) {
    // -32768 would overflow after negation; the clip below makes it harmless.
    s = -s;
    sign = 0x80;
  }
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  // Exponent = position of the highest set bit above bit 7 (0..7).
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Decodes one μ-law byte to a 16-bit linear sample. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? 0 - magnitude : magnitude;
}

/** Encodes one 16-bit linear sample to an A-law byte (even bits inverted, as transmitted). */
export function linearToAlaw(sample: number): number {
  // A-law works on 13-bit magnitudes.
  let s = (sample | 0) >> 3;
  let signMask: number;
  if (s >= 0) {
    signMask = 0xd5;
  } else {
    signMask = 0x55;
    s = -s - 1;
  }
  if (s > 0xfff) s = 0xfff;
  let segment = 0;
  for (let limit = 0x1f; s > limit && segment < 7; limit = (limit << 1) | 1) segment++;
  const mantissa = segment < 2 ? (s >> 1) & 0x0f : (s >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ signMask;
}

/** Decodes one A-law byte to a 16-bit linear sample. */
export function alawToLinear(byte: number): number {
  const a = (byte ^ 0x55) & 0xff;
  const segment = (a >> 4) & 0x07;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : 0 - magnitude;
}

const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  ULAW_DECODE[i] = ulawToLinear(i);
  ALAW_DECODE[i] = alawToLinear(i);
}
// Indexed by the sample's 16-bit two's-complement pattern (sample & 0xffff).
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let i = 0; i < 65536; i++) {
  const sample = i >= 32768 ? i - 65536 : i;
  ULAW_ENCODE[i] = linearToUlaw(sample);
  ALAW_ENCODE[i] = linearToAlaw(sample);
}

/**
 * The encoding table of a law, indexed by the sample's 16-bit pattern: what the native RTP engine
 * encodes with, so both sides share one definition. Read it, never change it.
 */
export function g711EncodeTable(law: 'ulaw' | 'alaw'): Uint8Array {
  return law === 'ulaw' ? ULAW_ENCODE : ALAW_ENCODE;
}

/** Encodes PCM to μ-law. Writes into `out` when given (must hold pcm.length bytes). */
export function encodeUlaw(pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[pcm[i] & 0xffff];
  return out;
}

/** Decodes μ-law to PCM. Writes into `out` when given (must hold bytes.length samples). */
export function decodeUlaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i]];
  return out;
}

/** Encodes PCM to A-law. Writes into `out` when given (must hold pcm.length bytes). */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i] & 0xffff];
  return out;
}

/** Decodes A-law to PCM. Writes into `out` when given (must hold bytes.length samples). */
export function decodeAlaw(bytes: Uint8Array, out: Int16Array = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i]];
  return out;
}
