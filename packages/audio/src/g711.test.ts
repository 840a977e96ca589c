import { describe, expect, it } from 'vitest';
import {
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from './g711';

describe('μ-law', () => {
  it('matches the G.711 reference points', () => {
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(-32124)).toBe(0x00);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
  });

  it('decodes every code to a value that encodes back to the same code (except the duplicate zero)', () => {
    for (let code = 0; code < 256; code++) {
      const expected = code === 0x7f ? 0xff : code;
      expect(linearToUlaw(ulawToLinear(code))).toBe(expected);
    }
  });

  it('keeps the round-trip error within half a quantization step of the segment', () => {
    for (let s = -32768; s < 32768; s += 7) {
      const decoded = ulawToLinear(linearToUlaw(s));
      const clipped = Math.max(-32124, Math.min(32124, s));
      const magnitude = Math.abs(clipped);
      // Step size doubles every segment: 8 near zero, 1024 in the top segment.
      const step = 8 << Math.floor(Math.log2((magnitude + 132) / 128));
      expect(Math.abs(decoded - clipped)).toBeLessThanOrEqual(step / 2 + 1);
    }
  });

  it('is monotonic', () => {
    let previous = -Infinity;
    for (let s = -32768; s < 32768; s += 3) {
      const decoded = ulawToLinear(linearToUlaw(s));
      expect(decoded).toBeGreaterThanOrEqual(previous);
      previous = decoded;
    }
  });

  it('buffer functions agree with the per-sample ones and write into a given buffer', () => {
    const pcm = Int16Array.from({ length: 1000 }, (_, i) => Math.round(30000 * Math.sin(i / 7)) - 17);
    const bytes = encodeUlaw(pcm);
    expect(bytes).toHaveLength(1000);
    for (let i = 0; i < pcm.length; i++) expect(bytes[i]).toBe(linearToUlaw(pcm[i]));
    const out = new Int16Array(1000);
    expect(decodeUlaw(bytes, out)).toBe(out);
    for (let i = 0; i < pcm.length; i++) expect(out[i]).toBe(ulawToLinear(bytes[i]));
  });
});

describe('A-law', () => {
  it('matches the G.711 reference points', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('decodes every code to a value that encodes back to the same code', () => {
    for (let code = 0; code < 256; code++) expect(linearToAlaw(alawToLinear(code))).toBe(code);
  });

  it('keeps the round-trip error within half a quantization step of the segment', () => {
    for (let s = -32768; s < 32768; s += 7) {
      const decoded = alawToLinear(linearToAlaw(s));
      const magnitude = Math.abs(s);
      // 16-unit steps in the two lowest segments, then doubling: 32 from 512, ... 1024 from 16384.
      const step = magnitude < 512 ? 16 : 16 << Math.floor(Math.log2(magnitude / 256));
      expect(Math.abs(decoded - s)).toBeLessThanOrEqual(step / 2 + 1);
    }
  });

  it('buffer functions agree with the per-sample ones', () => {
    const pcm = Int16Array.from({ length: 1000 }, (_, i) => Math.round(30000 * Math.cos(i / 5)));
    const bytes = encodeAlaw(pcm);
    for (let i = 0; i < pcm.length; i++) expect(bytes[i]).toBe(linearToAlaw(pcm[i]));
    const decoded = decodeAlaw(bytes);
    for (let i = 0; i < pcm.length; i++) expect(decoded[i]).toBe(alawToLinear(bytes[i]));
  });
});
