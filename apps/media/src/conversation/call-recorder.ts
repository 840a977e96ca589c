import { open, type FileHandle, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

const RATE = 16000;

/** Samples of one side not yet written, in a buffer that grows as needed (the caller's arrays are copied, not kept). */
class Side {
  private buf = new Int16Array(RATE * 2);
  length = 0;

  append(pcm: Int16Array): void {
    if (this.length + pcm.length > this.buf.length) {
      const grown = new Int16Array(Math.max(this.buf.length * 2, this.length + pcm.length));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(pcm, this.length);
    this.length += pcm.length;
  }

  /** Up to `samples` of trailing zeros taken off the end; returns how many. */
  trimZeros(samples: number): number {
    let k = 0;
    while (k < samples && this.length > 0 && this.buf[this.length - 1] === 0) {
      this.length--;
      k++;
    }
    return k;
  }

  /** The first n samples (zeros past the end), removed. */
  take(n: number): Int16Array {
    const out = new Int16Array(n);
    const k = Math.min(n, this.length);
    out.set(this.buf.subarray(0, k));
    this.buf.copyWithin(0, k, this.length);
    this.length -= k;
    return out;
  }
}

/**
 * Stereo WAV of a call written as it happens: caller on the left, agent on the right, 16 kHz.
 * Both sides are appended as they are heard/sent and interleaved as far as both have audio; the
 * header is completed when the recording is finished.
 */
export class CallRecorder {
  private readonly left = new Side();
  private readonly right = new Side();
  private frames = 0;
  private file: FileHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failed: Error | undefined;

  private constructor(readonly path: string) {}

  static async create(path: string): Promise<CallRecorder> {
    const rec = new CallRecorder(path);
    await mkdir(dirname(path), { recursive: true });
    rec.file = await open(path, 'w');
    await rec.file.write(header(0), 0, 44, 0);
    return rec;
  }

  /**
   * Completes a recording whose writer stopped before `finish` (the process was killed mid-call): the header still
   * says 0 bytes of audio. Keeps the whole stereo frames written, drops a torn last one, and writes the header for
   * them, so the file plays to where the call was cut. Returns its size and length as `finish` does.
   */
  static async completeCut(path: string): Promise<{ bytes: number; durationMs: number }> {
    const file = await open(path, 'r+');
    try {
      const { size } = await file.stat();
      const frames = Math.max(0, Math.floor((size - 44) / 4));
      const dataBytes = frames * 4;
      if (size !== 44 + dataBytes) await file.truncate(44 + dataBytes);
      await file.write(header(dataBytes), 0, 44, 0);
      await file.sync();
      return { bytes: 44 + dataBytes, durationMs: Math.round((frames * 1000) / RATE) };
    } finally {
      await file.close();
    }
  }

  get durationMs(): number {
    return Math.round(((this.frames + Math.max(this.left.length, this.right.length)) * 1000) / RATE);
  }

  /** Caller audio as it is heard (copied: the array may be reused after the call). */
  caller(pcm: Int16Array): void {
    this.left.append(pcm);
    this.maybeFlush();
  }

  /** Agent audio as it is sent (copied). */
  agent(pcm: Int16Array): void {
    this.right.append(pcm);
    this.maybeFlush();
  }

  /**
   * Takes back up to `samples` of trailing agent silence not yet written: the silent packet they
   * belong to was cut short when speech started early, so the agent track stays on time.
   */
  trimAgentSilence(samples: number): void {
    this.right.trimZeros(samples);
  }

  /** Pads the shorter side, writes the rest and the final header. Returns the size in bytes. */
  async finish(): Promise<{ bytes: number; durationMs: number }> {
    this.flush(Math.max(this.left.length, this.right.length));
    await this.writing;
    if (this.failed) throw this.failed;
    const bytes = 44 + this.frames * 4;
    await this.file!.write(header(this.frames * 4), 0, 44, 0);
    await this.file!.close();
    return { bytes, durationMs: Math.round((this.frames * 1000) / RATE) };
  }

  private maybeFlush(): void {
    const n = Math.min(this.left.length, this.right.length);
    if (n >= RATE) this.flush(n);
  }

  private flush(n: number): void {
    if (n === 0) return;
    const l = this.left.take(n);
    const r = this.right.take(n);
    const buf = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) {
      buf.writeInt16LE(l[i]!, i * 4);
      buf.writeInt16LE(r[i]!, i * 4 + 2);
    }
    const position = 44 + this.frames * 4;
    this.frames += n;
    const file = this.file!;
    this.writing = this.writing.then(async () => {
      if (this.failed) return;
      try {
        await file.write(buf, 0, buf.length, position);
      } catch (err) {
        this.failed = err as Error;
      }
    });
  }
}

function header(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
