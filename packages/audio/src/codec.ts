/**
 * The codecs an RTP leg can use, behind one interface. An instance holds encoder and decoder
 * state (G.722 is adaptive), so create one per call leg and use it for that leg only.
 */
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from './g711';
import { G722Decoder, G722Encoder } from './g722';
import { Resampler } from './resample';
import { type CodecName, type RtpCodec, codecForPayloadType, rtpCodec } from './rtp';

export interface AudioCodec {
  readonly name: CodecName;
  readonly payloadType: number;
  /** Rate of the PCM this codec takes and gives: 8000 for G.711, 16000 for G.722. */
  readonly sampleRate: 8000 | 16000;
  /** How the codec appears on the wire (clock rate, bytes and timestamp step per 20 ms). */
  readonly rtp: RtpCodec;
  /** Encodes PCM at `sampleRate` into one payload. */
  encode(pcm: Int16Array): Buffer;
  /**
   * One payload of silence lasting `samples` at `sampleRate`, in step with the encoder's state.
   * Steady silence costs (next to) nothing: the payload is computed once and shared, so copy it,
   * never change it.
   */
  encodeSilence(samples: number): Buffer;
  /**
   * Decodes one payload of any length (the far end's ptime decides it) into PCM at `sampleRate`:
   * into `out` when given (it must hold samplesInPayload(payload.length)), returning that part of it.
   */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array;
  /** PCM samples in a payload of `bytes` bytes. */
  samplesInPayload(bytes: number): number;
}

/** G.711 (either law): stateless, one byte per 8 kHz sample. */
class G711Codec implements AudioCodec {
  readonly rtp: RtpCodec;
  readonly payloadType: number;
  readonly sampleRate = 8000;
  private readonly encodeLaw: typeof encodeUlaw;
  private readonly decodeLaw: typeof decodeUlaw;
  private silence: Buffer | undefined;

  constructor(readonly name: 'ulaw' | 'alaw') {
    this.rtp = rtpCodec(name);
    this.payloadType = this.rtp.payloadType;
    [this.encodeLaw, this.decodeLaw] = name === 'ulaw' ? [encodeUlaw, decodeUlaw] : [encodeAlaw, decodeAlaw];
  }
  encode(pcm: Int16Array): Buffer {
    return this.encodeLaw(pcm, Buffer.allocUnsafe(pcm.length)) as Buffer;
  }
  encodeSilence(samples: number): Buffer {
    if (this.silence?.length !== samples) this.silence = this.encode(new Int16Array(samples));
    return this.silence;
  }
  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    return this.decodeLaw(payload, out ? out.subarray(0, payload.length) : undefined);
  }
  samplesInPayload(bytes: number): number {
    return bytes;
  }
}

class G722Codec implements AudioCodec {
  readonly name = 'g722';
  readonly rtp = rtpCodec('g722');
  readonly payloadType = this.rtp.payloadType;
  readonly sampleRate = 16000;
  private readonly encoder = new G722Encoder();
  private readonly decoder = new G722Decoder();
  encode(pcm: Int16Array): Buffer {
    return this.encoder.encode(pcm);
  }
  encodeSilence(samples: number): Buffer {
    return this.encoder.encodeSilence(samples >> 1);
  }
  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    return this.decoder.decode(payload, out ? out.subarray(0, payload.length * 2) : undefined);
  }
  samplesInPayload(bytes: number): number {
    return bytes * 2;
  }
}

/** A fresh codec (with its own encoder/decoder state) by name. */
export function createCodec(name: CodecName): AudioCodec {
  switch (name) {
    case 'ulaw':
      return new G711Codec('ulaw');
    case 'alaw':
      return new G711Codec('alaw');
    case 'g722':
      return new G722Codec();
    default:
      throw new RangeError(`unknown codec ${String(name)}`);
  }
}

/** A fresh codec for a static payload type, or undefined for one Parley does not speak (e.g. slin16's dynamic 118). */
export function createCodecForPayloadType(payloadType: number): AudioCodec | undefined {
  const codec = codecForPayloadType(payloadType);
  return codec ? createCodec(codec.name) : undefined;
}

/**
 * A codec whose PCM side is always 16 kHz, the media pipeline's rate: G.722 as is, G.711
 * through a 2:1 resampler each way (narrowband legs lose everything above ~3.6 kHz, and gain
 * the resamplers' few ms of delay).
 */
export function createWidebandCodec(name: CodecName): AudioCodec {
  const codec = createCodec(name);
  return codec.sampleRate === 16000 ? codec : new UpsampledCodec(codec);
}

/**
 * The 2:1 filters of a narrowband leg: a third of the default's taps (and delay), -0.9 dB at
 * 3.4 kHz and 60 dB rejection from 4.5 kHz, more than G.711's own ~38 dB SNR needs.
 */
export const NARROWBAND_RESAMPLING = { zeroCrossings: 8, kaiserBeta: 4.5 } as const;

/** Silent 16 kHz packets after which the 2:1 downsampler's memory holds only zeros. */
export const NARROWBAND_SETTLE_PACKETS = 8;

class UpsampledCodec implements AudioCodec {
  readonly name: CodecName;
  readonly payloadType: number;
  readonly sampleRate = 16000;
  readonly rtp: RtpCodec;
  private readonly down = new Resampler(16000, 8000, NARROWBAND_RESAMPLING);
  private readonly up = new Resampler(8000, 16000, NARROWBAND_RESAMPLING);
  private silentPackets = 0;
  /** Decoded 8 kHz audio on its way to the upsampler. */
  private narrow = new Int16Array(480);

  constructor(private readonly narrowband: AudioCodec) {
    this.name = narrowband.name;
    this.payloadType = narrowband.payloadType;
    this.rtp = narrowband.rtp;
  }

  encode(pcm: Int16Array): Buffer {
    this.silentPackets = 0;
    return this.narrowband.encode(this.down.process(pcm));
  }

  encodeSilence(samples: number): Buffer {
    // Zeros go through the downsampler until the tail of the last speech has left its memory.
    if (this.silentPackets < NARROWBAND_SETTLE_PACKETS) {
      this.silentPackets++;
      return this.narrowband.encode(this.down.process(new Int16Array(samples)));
    }
    return this.narrowband.encodeSilence(samples >> 1);
  }

  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    if (!out) return this.up.process(this.narrowband.decode(payload));
    if (this.narrow.length < payload.length) this.narrow = new Int16Array(payload.length);
    const narrow = this.narrowband.decode(payload, this.narrow);
    return out.subarray(0, this.up.processInto(narrow, out));
  }

  samplesInPayload(bytes: number): number {
    return bytes * 2;
  }
}
