/**
 * RTP (RFC 3550) fixed header parsing and serialization, the payload types Parley speaks
 * (RFC 3551 static types), and a sequencer for the packets we send.
 */
import { randomBytes } from 'node:crypto';

export const RTP_VERSION = 2;
/** Size of the fixed header, without CSRCs or extension. */
export const RTP_HEADER_SIZE = 12;

/** Static payload types used on Asterisk ExternalMedia legs. */
export const PayloadType = {
  PCMU: 0,
  PCMA: 8,
  G722: 9,
} as const;

export interface RtpHeader {
  version: number;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  /** 16-bit, wraps at 65536. */
  sequenceNumber: number;
  /** 32-bit, wraps at 2^32, in RTP clock units. */
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** Header extension (RFC 3550 5.3.1), present when `extension` is set. */
  extensionProfile?: number;
  extensionData?: Buffer;
}

export interface RtpPacket {
  header: RtpHeader;
  /** The payload without padding; a view into the parsed buffer, not a copy. */
  payload: Buffer;
}

export class RtpParseError extends Error {
  override readonly name = 'RtpParseError';
}

/** Parses one RTP packet. Throws RtpParseError for anything that is not a well-formed version 2 packet. */
export function parseRtpPacket(buf: Buffer): RtpPacket {
  if (buf.length < RTP_HEADER_SIZE) throw new RtpParseError(`packet too short: ${buf.length} bytes`);
  const b0 = buf[0];
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw new RtpParseError(`unsupported RTP version ${version}`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = buf[1];
  let offset = RTP_HEADER_SIZE + 4 * csrcCount;
  if (buf.length < offset) throw new RtpParseError('packet shorter than its CSRC list');
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(RTP_HEADER_SIZE + 4 * i));
  const header: RtpHeader = {
    version,
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
  };
  if (extension) {
    if (buf.length < offset + 4) throw new RtpParseError('packet shorter than its extension header');
    header.extensionProfile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + 4 * words;
    if (buf.length < end) throw new RtpParseError('packet shorter than its extension');
    header.extensionData = buf.subarray(offset + 4, end);
    offset = end;
  }
  let end = buf.length;
  if (padding) {
    const padLength = buf[buf.length - 1];
    if (padLength === 0 || offset + padLength > buf.length) throw new RtpParseError(`invalid padding length ${padLength}`);
    end -= padLength;
  }
  return { header, payload: buf.subarray(offset, end) };
}

/** The header fields a caller must supply; the rest default to an unpadded, extension-less v2 header. */
export type RtpHeaderInput = Pick<RtpHeader, 'payloadType' | 'sequenceNumber' | 'timestamp' | 'ssrc'> & Partial<RtpHeader>;

/** Size in bytes of the serialized header (fixed part, CSRCs, extension). */
export function rtpHeaderSize(header: RtpHeaderInput): number {
  const csrcs = header.csrcs?.length ?? 0;
  const ext = header.extensionData ? 4 + alignTo4(header.extensionData.length) : 0;
  return RTP_HEADER_SIZE + 4 * csrcs + ext;
}

/**
 * Serializes a header into `out` at `offset`; returns the header size. Use it to build packets
 * in a reused buffer. Padding is not written here (see serializeRtpPacket).
 */
export function writeRtpHeader(header: RtpHeaderInput, out: Buffer, offset = 0): number {
  const csrcs = header.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const hasExtension = header.extensionData !== undefined;
  out[offset] = (RTP_VERSION << 6) | (header.padding ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | csrcs.length;
  out[offset + 1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  out.writeUInt16BE(header.sequenceNumber & 0xffff, offset + 2);
  out.writeUInt32BE(header.timestamp >>> 0, offset + 4);
  out.writeUInt32BE(header.ssrc >>> 0, offset + 8);
  let pos = offset + RTP_HEADER_SIZE;
  for (const csrc of csrcs) {
    out.writeUInt32BE(csrc >>> 0, pos);
    pos += 4;
  }
  if (header.extensionData) {
    const padded = alignTo4(header.extensionData.length);
    out.writeUInt16BE((header.extensionProfile ?? 0) & 0xffff, pos);
    out.writeUInt16BE(padded / 4, pos + 2);
    header.extensionData.copy(out, pos + 4);
    out.fill(0, pos + 4 + header.extensionData.length, pos + 4 + padded);
    pos += 4 + padded;
  }
  return pos - offset;
}

/** Serializes a whole packet. `paddingBytes` (1..255) appends RFC 3550 padding and sets the P bit. */
export function serializeRtpPacket(header: RtpHeaderInput, payload: Uint8Array, paddingBytes = 0): Buffer {
  if (paddingBytes < 0 || paddingBytes > 255) throw new RangeError('padding must be 0..255 bytes');
  const headerSize = rtpHeaderSize(header);
  const out = Buffer.alloc(headerSize + payload.length + paddingBytes);
  writeRtpHeader({ ...header, padding: paddingBytes > 0 }, out, 0);
  out.set(payload, headerSize);
  if (paddingBytes > 0) out[out.length - 1] = paddingBytes;
  return out;
}

function alignTo4(n: number): number {
  return (n + 3) & ~3;
}

export type CodecName = 'ulaw' | 'alaw' | 'g722';

/** What a leg's codec means on the wire. */
export interface RtpCodec {
  name: CodecName;
  payloadType: number;
  /** Sample rate of the audio itself. */
  sampleRate: 8000 | 16000;
  /** RTP timestamp clock: 8000 for all three; G.722 keeps 8000 for historical reasons (RFC 3551 4.5.2). */
  clockRate: 8000;
  /** Payload bytes in 20 ms. */
  bytesPer20Ms: number;
  /** Timestamp increment per 20 ms. */
  timestampStepPer20Ms: number;
  /** Timestamp units per payload byte: payload duration in RTP units is bytes * this (1 for all three). */
  timestampUnitsPerByte: number;
}

const CODECS: Record<CodecName, RtpCodec> = {
  ulaw: { name: 'ulaw', payloadType: PayloadType.PCMU, sampleRate: 8000, clockRate: 8000, bytesPer20Ms: 160, timestampStepPer20Ms: 160, timestampUnitsPerByte: 1 },
  alaw: { name: 'alaw', payloadType: PayloadType.PCMA, sampleRate: 8000, clockRate: 8000, bytesPer20Ms: 160, timestampStepPer20Ms: 160, timestampUnitsPerByte: 1 },
  g722: { name: 'g722', payloadType: PayloadType.G722, sampleRate: 16000, clockRate: 8000, bytesPer20Ms: 160, timestampStepPer20Ms: 160, timestampUnitsPerByte: 1 },
};

/** The codec for a static payload type, or undefined for one Parley does not speak. */
export function codecForPayloadType(payloadType: number): RtpCodec | undefined {
  switch (payloadType) {
    case PayloadType.PCMU:
      return CODECS.ulaw;
    case PayloadType.PCMA:
      return CODECS.alaw;
    case PayloadType.G722:
      return CODECS.g722;
    default:
      return undefined;
  }
}

export function rtpCodec(name: CodecName): RtpCodec {
  return CODECS[name];
}

/** Sequence number distance a - b in the 16-bit circle, in -32768..32767. */
export function sequenceDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** Timestamp distance a - b in the 32-bit circle, as a signed 32-bit number. */
export function timestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}

export interface RtpSequencerOptions {
  payloadType: number;
  /** Defaults are random, as RFC 3550 asks. */
  ssrc?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
}

/**
 * Produces headers for the packets of one outgoing stream: sequence numbers +1 per packet
 * (wrapping at 65536), timestamps advanced by each packet's duration (wrapping at 2^32), and
 * the marker bit on the first packet of each talkspurt (the first packet, and the first after
 * `skip`).
 */
export class RtpSequencer {
  readonly payloadType: number;
  readonly ssrc: number;
  private sequenceNumber: number;
  private timestamp: number;
  private talkspurtStart = true;

  constructor(options: RtpSequencerOptions) {
    const random = randomBytes(10);
    this.payloadType = options.payloadType;
    this.ssrc = options.ssrc ?? random.readUInt32BE(0);
    this.sequenceNumber = (options.initialSequenceNumber ?? random.readUInt16BE(4)) & 0xffff;
    this.timestamp = (options.initialTimestamp ?? random.readUInt32BE(6)) >>> 0;
  }

  /** Header for the next packet, which carries `durationUnits` of audio in RTP clock units. */
  next(durationUnits: number): RtpHeader {
    const header: RtpHeader = {
      version: RTP_VERSION,
      padding: false,
      extension: false,
      marker: this.talkspurtStart,
      payloadType: this.payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      csrcs: [],
    };
    this.talkspurtStart = false;
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + durationUnits) >>> 0;
    return header;
  }

  /** Builds the next packet around `payload`. */
  nextPacket(payload: Uint8Array, durationUnits: number): Buffer {
    const out = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
    writeRtpHeader(this.next(durationUnits), out, 0);
    out.set(payload, RTP_HEADER_SIZE);
    return out;
  }

  /** Time passes without packets (silence): advance the timestamp, and mark the next packet. */
  skip(durationUnits: number): void {
    this.timestamp = (this.timestamp + durationUnits) >>> 0;
    this.talkspurtStart = true;
  }

  /** Mark the next packet as the start of a talkspurt without a gap in timestamps. */
  markTalkspurt(): void {
    this.talkspurtStart = true;
  }

  get nextSequenceNumber(): number {
    return this.sequenceNumber;
  }

  get nextTimestamp(): number {
    return this.timestamp;
  }
}
