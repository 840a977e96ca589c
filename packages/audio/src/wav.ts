/** WAV (RIFF) files holding 16-bit PCM: parsing, writing, and channel helpers for recordings. */
import { readFile, writeFile } from 'node:fs/promises';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples (frame-major: L R L R... for stereo). */
  samples: Int16Array;
}

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parses a 16-bit PCM WAV. Skips chunks it does not need (LIST, fact, cue...), accepts
 * WAVE_FORMAT_EXTENSIBLE with a PCM sub-format, and tolerates a data size larger than the
 * file (as written by streaming recorders that never patched the header).
 */
export function parseWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let format: { channels: number; sampleRate: number } | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavFormatError('fmt chunk too short');
      let tag = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const sampleRate = buf.readUInt32LE(body + 4);
      const bitsPerSample = buf.readUInt16LE(body + 14);
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = buf.readUInt16LE(body + 24);
      if (tag !== WAVE_FORMAT_PCM) throw new WavFormatError(`unsupported WAV format tag 0x${tag.toString(16)} (PCM only)`);
      if (bitsPerSample !== 16) throw new WavFormatError(`unsupported sample size ${bitsPerSample} bits (16 only)`);
      if (channels < 1) throw new WavFormatError('WAV without channels');
      format = { channels, sampleRate };
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data chunk before fmt chunk');
      const available = Math.min(size, buf.length - body);
      const frameBytes = 2 * format.channels;
      const count = Math.floor(available / frameBytes) * format.channels;
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    // Chunks are word-aligned: an odd size is followed by a pad byte.
    offset = body + size + (size & 1);
  }
  throw new WavFormatError(format ? 'no data chunk' : 'no fmt chunk');
}

/** Serializes 16-bit PCM as a canonical 44-byte-header WAV. */
export function encodeWav(audio: WavAudio): Buffer {
  const { sampleRate, channels, samples } = audio;
  if (samples.length % channels !== 0) throw new RangeError('sample count is not a whole number of frames');
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + 2 * i);
  return out;
}

export async function readWavFile(path: string): Promise<WavAudio> {
  return parseWav(await readFile(path));
}

export async function writeWavFile(path: string, audio: WavAudio): Promise<void> {
  await writeFile(path, encodeWav(audio));
}

/** Interleaves two mono tracks into stereo frames; the shorter one is padded with silence. */
export function interleaveStereo(left: Int16Array, right: Int16Array): Int16Array {
  const frames = Math.max(left.length, right.length);
  const out = new Int16Array(frames * 2);
  for (let i = 0; i < left.length; i++) out[2 * i] = left[i];
  for (let i = 0; i < right.length; i++) out[2 * i + 1] = right[i];
  return out;
}

/** One channel of interleaved audio. */
export function extractChannel(audio: WavAudio, channel: number): Int16Array {
  if (channel < 0 || channel >= audio.channels) throw new RangeError(`no channel ${channel} in ${audio.channels}-channel audio`);
  const frames = audio.samples.length / audio.channels;
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) out[i] = audio.samples[i * audio.channels + channel];
  return out;
}

/** Averages all channels into one. */
export function toMono(audio: WavAudio): Int16Array {
  if (audio.channels === 1) return audio.samples;
  const frames = audio.samples.length / audio.channels;
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < audio.channels; c++) sum += audio.samples[i * audio.channels + c];
    out[i] = Math.round(sum / audio.channels);
  }
  return out;
}
