import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EM_CODECS, readFixtureBytes } from '../test/fixtures';
import { createCodec, createCodecForPayloadType, createWidebandCodec } from './codec';
import { G722_REST_CODE, G722Encoder } from './g722';
import { resample } from './resample';
import { alignedSnrDb, generateTone, snrDb, toneEnergyFraction } from './signal';

describe('createCodec', () => {
  it.each([
    ['ulaw', 0, 8000],
    ['alaw', 8, 8000],
    ['g722', 9, 16000],
  ] as const)('%s: PT %i, %i Hz PCM, 160 bytes per 20 ms each way', (name, pt, rate) => {
    const codec = createCodec(name);
    expect(codec).toMatchObject({ name, payloadType: pt, sampleRate: rate });
    expect(codec.rtp.clockRate).toBe(8000);
    const frame = generateTone({ frequency: 1000, sampleRate: rate, durationMs: 20 });
    const payload = codec.encode(frame);
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(payload).toHaveLength(160);
    expect(codec.decode(payload)).toHaveLength(rate / 50);
    expect(codec.samplesInPayload(160)).toBe(rate / 50);
  });

  it('decodes a 30 ms ulaw payload (240 bytes) into 240 samples', () => {
    const recv = readFixtureBytes(join(EM_CODECS, 'ulaw-uas_answer', 'recv.ulaw'));
    const codec = createCodec('ulaw');
    const pcm = codec.decode(recv.subarray(0, 240));
    expect(pcm).toHaveLength(240);
    expect(toneEnergyFraction(pcm, 1000, 8000)).toBeGreaterThan(0.99);
  });

  it('keeps G.722 state per instance: frame by frame equals one stream, and two instances do not interfere', () => {
    const tone = generateTone({ frequency: 700, sampleRate: 16000, durationMs: 200 });
    const a = createCodec('g722');
    const b = createCodec('g722');
    const frames: Buffer[] = [];
    for (let i = 0; i < tone.length; i += 320) {
      frames.push(a.encode(tone.subarray(i, i + 320)));
      b.encode(new Int16Array(320).fill(12345));
    }
    expect(Buffer.concat(frames).equals(new G722Encoder().encode(tone))).toBe(true);
  });

  it('G.711 leg: 16 kHz speech -> 8 kHz -> ulaw -> 8 kHz -> 16 kHz keeps a 1 kHz tone at > 30 dB SNR', () => {
    const codec = createCodec('ulaw');
    const tone = generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 400, amplitude: 10000 });
    const back = resample(codec.decode(codec.encode(resample(tone, 16000, 8000))), 8000, 16000);
    expect(back).toHaveLength(tone.length);
    expect(snrDb(tone.subarray(400, -400), back.subarray(400, -400))).toBeGreaterThan(30);
  });

  it('maps payload types, and refuses slin16 (dynamic PT 118, which Asterisk drops inbound)', () => {
    expect(createCodecForPayloadType(9)?.name).toBe('g722');
    expect(createCodecForPayloadType(0)?.name).toBe('ulaw');
    expect(createCodecForPayloadType(8)?.name).toBe('alaw');
    expect(createCodecForPayloadType(118)).toBeUndefined();
    expect(() => createCodec('opus' as never)).toThrow(RangeError);
  });

  it.each(['ulaw', 'alaw'] as const)('createWidebandCodec(%s): 16 kHz PCM on both sides of a narrowband payload', (name) => {
    const codec = createWidebandCodec(name);
    expect(codec).toMatchObject({ name, sampleRate: 16000 });
    const tone = generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 400, amplitude: 10000 });
    const payloads: Buffer[] = [];
    const decoded = new Int16Array(tone.length);
    for (let i = 0; i < tone.length; i += 320) {
      const payload = codec.encode(tone.subarray(i, i + 320));
      expect(payload).toHaveLength(160);
      payloads.push(payload);
      const pcm = codec.decode(payload);
      expect(pcm).toHaveLength(320);
      decoded.set(pcm, i);
    }
    // Two resamplers in the loop delay the tone; once aligned it comes back clean.
    expect(alignedSnrDb(tone.subarray(0, 6000), decoded, 120).snrDb).toBeGreaterThan(30);
    // A 30 ms payload gives 30 ms at 16 kHz.
    expect(codec.decode(Buffer.concat(payloads).subarray(0, 240))).toHaveLength(480);
    expect(codec.samplesInPayload(240)).toBe(480);
  });

  it('createWidebandCodec(g722) is plain G.722', () => {
    const codec = createWidebandCodec('g722');
    expect(codec.sampleRate).toBe(16000);
    expect(codec.encode(new Int16Array(320))).toHaveLength(160);
  });

  it.each([
    ['ulaw', 0xff],
    ['alaw', 0xd5],
  ] as const)('encodeSilence(%s): the downsampler drains the last speech first, then one constant payload', (name, silentByte) => {
    const codec = createWidebandCodec(name);
    codec.encode(generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 20, amplitude: 20000 }));
    const first = codec.encodeSilence(320);
    // The tail of the tone is still in the resampler's memory.
    expect(first.every((b) => b === silentByte)).toBe(false);
    const payloads = Array.from({ length: 10 }, () => codec.encodeSilence(320));
    expect(payloads[9]).toHaveLength(160);
    expect(payloads[9]!.every((b) => b === silentByte)).toBe(true);
    expect(payloads[9]).toBe(payloads[8]);
  });

  it('encodeSilence(g722) sends the rest code', () => {
    const codec = createWidebandCodec('g722');
    expect(codec.encodeSilence(320)).toEqual(Buffer.alloc(160, G722_REST_CODE));
    expect(codec.encodeSilence(480)).toHaveLength(240);
  });
});
