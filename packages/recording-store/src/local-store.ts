import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type ByteRange, type RecordingBody, type RecordingLocation, type RecordingStore, recordingFileName } from './recording-store';

/**
 * Recordings as files in one directory (RECORDINGS_DIR), the single-machine default: media writes `<call_id>.wav` there
 * while the call runs, which is already where it is kept, and the api reads the same directory.
 */
export class LocalRecordingStore implements RecordingStore {
  readonly kind = 'local' as const;
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  locationOf(call: { callId: string }): RecordingLocation {
    return { store: 'local', bucket: null, path: recordingFileName(call.callId) };
  }

  /** The file a location names (rows from before this store may hold absolute paths). */
  fileOf(location: RecordingLocation): string {
    return isAbsolute(location.path) ? location.path : resolve(this.dir, location.path);
  }

  async put(file: string, location: RecordingLocation): Promise<void> {
    const target = this.fileOf(location);
    if (resolve(file) === target) return;
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    await copyFile(file, partial);
    await rename(partial, target);
  }

  async size(location: RecordingLocation): Promise<number | null> {
    const info = await stat(this.fileOf(location)).catch(() => null);
    return info?.isFile() ? info.size : null;
  }

  async open(location: RecordingLocation, range?: ByteRange): Promise<RecordingBody | null> {
    const size = await this.size(location);
    if (size === null) return null;
    const stream = createReadStream(this.fileOf(location), range ? { start: range.start, end: range.end } : {});
    return { stream, size, range: range ?? null };
  }

  async delete(location: RecordingLocation): Promise<void> {
    await rm(this.fileOf(location), { force: true });
  }

  close(): void {}
}
