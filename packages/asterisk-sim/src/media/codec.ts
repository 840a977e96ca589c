import { G722Decoder, G722Encoder, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '@parley/audio';
import { Decimator2, Interpolator2 } from './pcm';

export type ExternalMediaFormat = 'ulaw' | 'alaw' | 'g722' | 'slin16';
export const EXTERNAL_MEDIA_FORMATS: readonly ExternalMediaFormat[] = ['ulaw', 'alaw', 'g722', 'slin16'];

/**
 * One direction-pair codec state for an ExternalMedia leg. Internally the simulator mixes
 * 16 kHz PCM; each leg converts at its edge like Asterisk's translation path does.
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
  switch (format) {
    case 'ulaw':
    case 'alaw': {
      const down = new Decimator2();
      const up = new Interpolator2();
      const enc = format === 'ulaw' ? encodeUlaw : encodeAlaw;
      const dec = format === 'ulaw' ? decodeUlaw : decodeAlaw;
      return {
        format,
        payloadType: format === 'ulaw' ? 0 : 8,
        encode: (pcm) => Buffer.from(enc(down.process(pcm))),
        decode: (payload) => up.process(dec(payload)),
        timestampUnits: (bytes) => bytes,
      };
    }
    case 'g722': {
      const encoder = new G722Encoder();
      const decoder = new G722Decoder();
      return {
        format,
        payloadType: 9,
        encode: (pcm) => encoder.encode(pcm),
        decode: (payload) => decoder.decode(payload),
        // 8000 Hz RTP clock for 16 kHz audio (RFC 3551): one unit per byte.
        timestampUnits: (bytes) => bytes,
      };
    }
    case 'slin16':
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
        timestampUnits: (bytes) => bytes / 2,
      };
  }
}
