import { open, type FileHandle, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

const RATE = 16000;

/**
 * Stereo WAV of a call written as it happens: caller on the left, agent on the right, 16 kHz.
 * Both sides are appended as they are heard/sent and interleaved as far as both have audio; the
 * header is completed when the recording is finished.
 */
export class CallRecorder {
  private left: Int16Array[] = [];
  private right: Int16Array[] = [];
  private leftLen = 0;
  private rightLen = 0;
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

  get durationMs(): number {
    return Math.round((Math.max(this.frames + this.leftLen, this.frames + this.rightLen) * 1000) / RATE);
  }

  caller(pcm: Int16Array): void {
    this.left.push(pcm);
    this.leftLen += pcm.length;
    this.maybeFlush();
  }

  agent(pcm: Int16Array): void {
    this.right.push(pcm);
    this.rightLen += pcm.length;
    this.maybeFlush();
  }

  /**
   * Takes back up to `samples` of trailing agent silence not yet written: the silent packet they
   * belong to was cut short when speech started early, so the agent track stays on time.
   */
  trimAgentSilence(samples: number): void {
    let left = samples;
    while (left > 0 && this.right.length > 0) {
      const last = this.right[this.right.length - 1]!;
      let k = 0;
      while (k < Math.min(left, last.length) && last[last.length - 1 - k] === 0) k++;
      if (k === 0) return;
      this.right[this.right.length - 1] = last.subarray(0, last.length - k);
      if (k === last.length) this.right.pop();
      this.rightLen -= k;
      left -= k;
      if (k < last.length) return;
    }
  }

  /** Pads the shorter side, writes the rest and the final header. Returns the size in bytes. */
  async finish(): Promise<{ bytes: number; durationMs: number }> {
    const n = Math.max(this.leftLen, this.rightLen);
    this.flush(n);
    await this.writing;
    if (this.failed) throw this.failed;
    const bytes = 44 + this.frames * 4;
    await this.file!.write(header(this.frames * 4), 0, 44, 0);
    await this.file!.close();
    return { bytes, durationMs: Math.round((this.frames * 1000) / RATE) };
  }

  private maybeFlush(): void {
    const n = Math.min(this.leftLen, this.rightLen);
    if (n >= RATE) this.flush(n);
  }

  private flush(n: number): void {
    if (n === 0) return;
    const l = take(this.left, n);
    const r = take(this.right, n);
    this.leftLen = Math.max(0, this.leftLen - n);
    this.rightLen = Math.max(0, this.rightLen - n);
    const buf = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) {
      buf.writeInt16LE(l[i] ?? 0, i * 4);
      buf.writeInt16LE(r[i] ?? 0, i * 4 + 2);
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

/** Removes up to n samples from the front of a chunk list (fewer if it holds fewer). */
function take(chunks: Int16Array[], n: number): Int16Array {
  const out = new Int16Array(n);
  let filled = 0;
  while (filled < n && chunks.length > 0) {
    const c = chunks[0]!;
    const k = Math.min(n - filled, c.length);
    out.set(c.subarray(0, k), filled);
    filled += k;
    if (k === c.length) chunks.shift();
    else chunks[0] = c.subarray(k);
  }
  return out;
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
