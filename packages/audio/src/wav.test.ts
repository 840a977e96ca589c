import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EM_CODECS, readFixtureBytes } from '../test/fixtures';
import { toneEnergyFraction } from './signal';
import { WavFormatError, encodeWav, extractChannel, interleaveStereo, parseWav, toMono } from './wav';

describe('WAV', () => {
  it('reads ffmpeg output with a LIST chunk before the data (tone16k.wav)', () => {
    const audio = parseWav(readFixtureBytes(join(EM_CODECS, 'tone16k.wav')));
    expect(audio.sampleRate).toBe(16000);
    expect(audio.channels).toBe(1);
    expect(audio.samples).toHaveLength(48000);
    expect(Array.from(audio.samples.subarray(0, 4))).toEqual([0, 2008, -540, 3006]);
    expect(toneEnergyFraction(audio.samples, 1000, 16000)).toBeCloseTo(0.5, 1);
  });

  it('round-trips mono and stereo at any rate', () => {
    for (const [sampleRate, channels] of [
      [8000, 1],
      [22050, 1],
      [48000, 2],
    ]) {
      const samples = Int16Array.from({ length: 100 * channels }, (_, i) => (i * 331) % 65536 - 32768);
      const wav = encodeWav({ sampleRate, channels, samples });
      expect(wav).toHaveLength(44 + samples.length * 2);
      expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(28)).toBe(sampleRate * channels * 2);
      expect(parseWav(wav)).toEqual({ sampleRate, channels, samples });
    }
  });

  it('skips odd-sized chunks with their pad byte and accepts WAVE_FORMAT_EXTENSIBLE PCM', () => {
    const samples = Int16Array.from([1, -2, 3]);
    const plain = encodeWav({ sampleRate: 16000, channels: 1, samples });
    const fmt = Buffer.alloc(8 + 40);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(40, 4);
    fmt.writeUInt16LE(0xfffe, 8);
    fmt.writeUInt16LE(1, 10);
    fmt.writeUInt32LE(16000, 12);
    fmt.writeUInt32LE(32000, 16);
    fmt.writeUInt16LE(2, 20);
    fmt.writeUInt16LE(16, 22);
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(1, 32); // sub-format GUID starts with the PCM tag
    const junk = Buffer.from('junk\x03\x00\x00\x00abc\x00', 'latin1');
    const file = Buffer.concat([plain.subarray(0, 12), junk, fmt, plain.subarray(36)]);
    file.writeUInt32LE(file.length - 8, 4);
    expect(parseWav(file).samples).toEqual(samples);
  });

  it('tolerates a data size larger than the file (unfinished recording)', () => {
    const wav = encodeWav({ sampleRate: 8000, channels: 1, samples: Int16Array.from([5, 6, 7]) });
    wav.writeUInt32LE(0xffffffff, 40);
    expect(Array.from(parseWav(wav).samples)).toEqual([5, 6, 7]);
  });

  it('rejects what it cannot read', () => {
    expect(() => parseWav(Buffer.from('not a wav file at all'))).toThrow(WavFormatError);
    const float = encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(2) });
    float.writeUInt16LE(3, 20);
    expect(() => parseWav(float)).toThrow(/format tag 0x3/);
    const noData = encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(0) }).subarray(0, 36);
    expect(() => parseWav(noData)).toThrow(/no data/);
  });
});

describe('channels', () => {
  it('interleaves two tracks, padding the shorter, and splits them again', () => {
    const stereo = interleaveStereo(Int16Array.from([1, 2, 3]), Int16Array.from([-1]));
    expect(Array.from(stereo)).toEqual([1, -1, 2, 0, 3, 0]);
    const audio = { sampleRate: 8000, channels: 2, samples: stereo };
    expect(Array.from(extractChannel(audio, 1))).toEqual([-1, 0, 0]);
    expect(Array.from(toMono(audio))).toEqual([0, 1, 2]);
    expect(() => extractChannel(audio, 2)).toThrow(RangeError);
  });
});
