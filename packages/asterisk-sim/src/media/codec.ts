import { createWidebandCodec } from '@parley/audio';

export type ExternalMediaFormat = 'ulaw' | 'alaw' | 'g722' | 'slin16';
export const EXTERNAL_MEDIA_FORMATS: readonly ExternalMediaFormat[] = ['ulaw', 'alaw', 'g722', 'slin16'];

/**
 * The codec state of one ExternalMedia leg. The simulator moves 16 kHz PCM internally; each
 * leg converts at its edge like Asterisk's translation path does.
 */
export interface LegCodec {
  format: ExternalMediaFormat;
  payloadType: number;
  /** 20 ms of 16 kHz PCM (320 samples) -> payload. */
  encode(pcm16k: Int16Array): Buffer;
  /** Payload -> 16 kHz PCM, or null when Asterisk would drop it. */
  decode(payload: Buffer): Int16Array | null;
  /** RTP timestamp units for a payload of this many bytes. */
  timestampUnits(payloadBytes: number): number;
}

export function createLegCodec(format: ExternalMediaFormat): LegCodec {
  if (format === 'slin16') {
    return {
      format,
      payloadType: 118,
      encode: (pcm) => {
        const out = Buffer.allocUnsafe(pcm.length * 2);
        for (let i = 0; i < pcm.length; i++) out.writeInt16BE(pcm[i]!, 2 * i);
        return out;
      },
      // Asterisk 22 drops audio sent to it with the dynamic PT 118 (not in the UnicastRTP receive map).
      decode: () => null,
      // 16 kHz clock, two bytes per sample.
      timestampUnits: (bytes) => bytes / 2,
    };
  }
  const codec = createWidebandCodec(format);
  return {
    format,
    payloadType: codec.payloadType,
    encode: (pcm) => codec.encode(pcm),
    decode: (payload) => codec.decode(payload),
    // ulaw/alaw/g722 all run an 8000 Hz RTP clock with one unit per payload byte (G.722: RFC 3551 4.5.2).
    timestampUnits: (bytes) => bytes * codec.rtp.timestampUnitsPerByte,
  };
}
