import { describe, expect, it } from 'vitest';
import {
  PayloadType,
  RtpParseError,
  RtpSequencer,
  codecForPayloadType,
  parseRtpPacket,
  rtpCodec,
  sequenceDelta,
  serializeRtpPacket,
  timestampDelta,
  writeRtpHeader,
} from './rtp';

describe('RTP header', () => {
  it('parses a G.722 packet as Asterisk sends it (fields from em-codecs/g722-uas_answer_g722/recv_packets.json)', () => {
    const packet = Buffer.alloc(12 + 160, 0x55);
    Buffer.from([0x80, 0x09, 0xa6, 0x01, 0x00, 0x01, 0xe2, 0x40, 0x5c, 0x52, 0xd1, 0x9a]).copy(packet);
    const { header, payload } = parseRtpPacket(packet);
    expect(header).toMatchObject({ version: 2, padding: false, extension: false, marker: false, payloadType: 9, sequenceNumber: 42497, timestamp: 123456, ssrc: 1548931482, csrcs: [] });
    expect(payload).toHaveLength(160);
  });

  it('round-trips marker, CSRCs, extension and padding', () => {
    const header = {
      payloadType: 0,
      marker: true,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      csrcs: [1, 0xffffffff],
      extensionProfile: 0xbede,
      extensionData: Buffer.from([1, 2, 3, 4, 5]),
    };
    const payload = Buffer.from([9, 8, 7]);
    const wire = serializeRtpPacket(header, payload, 4);
    // 12 fixed + 8 CSRC + 4 extension header + 8 extension (padded to words) + 3 payload + 4 padding.
    expect(wire).toHaveLength(39);
    expect(wire[0]).toBe(0b1011_0010);
    expect(wire[1]).toBe(0x80);
    const parsed = parseRtpPacket(wire);
    expect(parsed.header).toMatchObject({ ...header, padding: true, extension: true, extensionData: Buffer.from([1, 2, 3, 4, 5, 0, 0, 0]) });
    expect([...parsed.payload]).toEqual([9, 8, 7]);
  });

  it('rejects malformed packets', () => {
    expect(() => parseRtpPacket(Buffer.alloc(11))).toThrow(RtpParseError);
    const v1 = Buffer.alloc(12);
    v1[0] = 0x40;
    expect(() => parseRtpPacket(v1)).toThrow(/version 1/);
    const shortCsrc = Buffer.alloc(12);
    shortCsrc[0] = 0x82;
    expect(() => parseRtpPacket(shortCsrc)).toThrow(RtpParseError);
    const badPadding = Buffer.alloc(14);
    badPadding[0] = 0xa0;
    badPadding[13] = 10;
    expect(() => parseRtpPacket(badPadding)).toThrow(/padding/);
    const shortExtension = Buffer.alloc(16);
    shortExtension[0] = 0x90;
    shortExtension[15] = 2;
    expect(() => parseRtpPacket(shortExtension)).toThrow(/extension/);
  });

  it('writes a header into a reused buffer', () => {
    const buf = Buffer.alloc(20, 0xff);
    expect(writeRtpHeader({ payloadType: 8, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, buf, 4)).toBe(12);
    expect([...buf.subarray(0, 16)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x80, 8, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
  });
});

describe('RTP codecs', () => {
  it('describes G.722 with 16 kHz audio on an 8 kHz RTP clock', () => {
    expect(codecForPayloadType(9)).toEqual({ name: 'g722', payloadType: 9, sampleRate: 16000, clockRate: 8000, bytesPer20Ms: 160, timestampStepPer20Ms: 160, timestampUnitsPerByte: 1 });
    expect(codecForPayloadType(PayloadType.PCMU)).toMatchObject({ name: 'ulaw', sampleRate: 8000, clockRate: 8000, bytesPer20Ms: 160, timestampStepPer20Ms: 160 });
    expect(codecForPayloadType(PayloadType.PCMA)).toMatchObject({ name: 'alaw', sampleRate: 8000 });
    expect(codecForPayloadType(118)).toBeUndefined();
    expect(rtpCodec('g722').payloadType).toBe(9);
  });
});

describe('sequence and timestamp arithmetic', () => {
  it('measures distances across the wrap', () => {
    expect(sequenceDelta(2, 65534)).toBe(4);
    expect(sequenceDelta(65534, 2)).toBe(-4);
    expect(sequenceDelta(100, 100)).toBe(0);
    expect(timestampDelta(100, 0xffffff00)).toBe(356);
    expect(timestampDelta(0xffffff00, 100)).toBe(-356);
  });
});

describe('RtpSequencer', () => {
  it('numbers packets, wraps sequence and timestamp, and marks talkspurt starts', () => {
    const seq = new RtpSequencer({ payloadType: 9, ssrc: 42, initialSequenceNumber: 65534, initialTimestamp: 0xffffff60 });
    const a = seq.next(160);
    const b = seq.next(160);
    const c = seq.next(160);
    expect([a.sequenceNumber, b.sequenceNumber, c.sequenceNumber]).toEqual([65534, 65535, 0]);
    expect([a.timestamp, b.timestamp, c.timestamp]).toEqual([0xffffff60, 0, 160]);
    expect([a.marker, b.marker, c.marker]).toEqual([true, false, false]);
    expect(a).toMatchObject({ payloadType: 9, ssrc: 42, version: 2 });

    seq.skip(800);
    const d = seq.next(160);
    expect(d).toMatchObject({ sequenceNumber: 1, timestamp: 160 + 160 + 800, marker: true });
    expect(seq.next(160).marker).toBe(false);
  });

  it('builds whole packets that parse back', () => {
    const seq = new RtpSequencer({ payloadType: 0 });
    const payload = Buffer.alloc(160, 0xff);
    const first = parseRtpPacket(seq.nextPacket(payload, 160));
    const second = parseRtpPacket(seq.nextPacket(payload, 160));
    expect(first.header.ssrc).toBe(second.header.ssrc);
    expect(sequenceDelta(second.header.sequenceNumber, first.header.sequenceNumber)).toBe(1);
    expect(timestampDelta(second.header.timestamp, first.header.timestamp)).toBe(160);
    expect(second.payload.equals(payload)).toBe(true);
  });

  it('picks random SSRC and starting points', () => {
    const ssrcs = new Set(Array.from({ length: 20 }, () => new RtpSequencer({ payloadType: 0 }).ssrc));
    const seqs = new Set(Array.from({ length: 20 }, () => new RtpSequencer({ payloadType: 0 }).nextSequenceNumber));
    expect(ssrcs.size).toBeGreaterThan(15);
    expect(seqs.size).toBeGreaterThan(15);
  });
});
