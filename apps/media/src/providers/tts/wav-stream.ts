import { Resampler } from '@parley/audio';

/**
 * Reads a WAV byte stream as it arrives (engines that write to stdout cannot seek back to fix the
 * header, so the data size is ignored) and yields 16 kHz mono PCM chunks.
 */
export async function* wavStreamTo16k(bytes: AsyncIterable<Buffer>): AsyncIterable<Int16Array> {
  let header = Buffer.alloc(0);
  let format: { rate: number; channels: number } | undefined;
  let resampler: Resampler | undefined;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    let data: Buffer;
    if (!format) {
      header = Buffer.concat([header, chunk]);
      const parsed = parseHeader(header);
      if (!parsed) continue;
      format = parsed.format;
      if (format.rate !== 16000) resampler = new Resampler(format.rate, 16000);
      data = header.subarray(parsed.dataOffset);
    } else {
      data = chunk;
    }
    const bytesAll = carry.length ? Buffer.concat([carry, data]) : data;
    const frameBytes = 2 * format.channels;
    const usable = bytesAll.length - (bytesAll.length % frameBytes);
    carry = Buffer.from(bytesAll.subarray(usable));
    if (usable === 0) continue;
    const frames = usable / frameBytes;
    const mono = new Int16Array(frames);
    for (let i = 0; i < frames; i++) mono[i] = bytesAll.readInt16LE(i * frameBytes);
    const out = resampler ? resampler.process(mono) : mono;
    if (out.length > 0) yield out;
  }
}

function parseHeader(buf: Buffer): { format: { rate: number; channels: number }; dataOffset: number } | undefined {
  if (buf.length < 12) return undefined;
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw new Error('TTS output is not a WAV stream');
  let offset = 12;
  let format: { rate: number; channels: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'data') return format ? { format, dataOffset: offset + 8 } : undefined;
    if (offset + 8 + size > buf.length) return undefined;
    if (id === 'fmt ') {
      const bits = buf.readUInt16LE(offset + 8 + 14);
      if (bits !== 16) throw new Error(`TTS output has ${bits}-bit samples; 16-bit expected`);
      format = { channels: buf.readUInt16LE(offset + 8 + 2), rate: buf.readUInt32LE(offset + 8 + 4) };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
