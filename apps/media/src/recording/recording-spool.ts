import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { recordingFileName } from '@parley/recording-store';

/** What the spool keeps beside a call's WAV (`<call_id>.json`) until the recording is in its store. */
export interface SpoolEntry {
  call_id: string;
  account_id: string;
  /** The process writing it, so another process on this machine leaves a live recording alone. */
  host: string;
  pid: number;
  /** Set once the WAV is complete (its header written). */
  finished?: { bytes: number; duration_ms: number };
}

/**
 * Media's local recordings directory (RECORDINGS_DIR) as a spool: each call's WAV is written there while the call runs
 * (`<call_id>.wav`, as always) with a small note beside it saying whose it is and whether it is finished. The note is
 * removed once the recording is where it belongs (uploaded, or announced where it is kept on local disk), so the notes
 * left at a start are exactly the recordings a stopped process did not see through.
 */
export class RecordingSpool {
  constructor(readonly dir: string) {}

  wavOf(callId: string): string {
    return join(this.dir, recordingFileName(callId));
  }

  private noteOf(callId: string): string {
    return join(this.dir, `${callId}.json`);
  }

  /** The call's recording starts: written before its first byte. */
  async begin(callId: string, accountId: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.write({ call_id: callId, account_id: accountId, host: hostname(), pid: process.pid });
  }

  /** The WAV is complete (its header written); from now on any process may store it. */
  async finished(callId: string, accountId: string, finished: { bytes: number; duration_ms: number }): Promise<SpoolEntry> {
    const done = { call_id: callId, account_id: accountId, host: hostname(), pid: process.pid, finished };
    await this.write(done);
    return done;
  }

  /** The recording is kept elsewhere now: drops the note, and the WAV too unless it is itself the kept copy. */
  async done(callId: string, keepWav: boolean): Promise<void> {
    if (!keepWav) await rm(this.wavOf(callId), { force: true });
    await rm(this.noteOf(callId), { force: true });
  }

  /**
   * Recordings a stopped process left: finished ones not yet stored, and ones cut mid-call. Leaves out those another
   * live process on this machine is still writing (media processes may share the directory).
   */
  async leftovers(): Promise<SpoolEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: SpoolEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const entry = await readFile(join(this.dir, name), 'utf8')
        .then((text) => JSON.parse(text) as SpoolEntry)
        .catch(() => null);
      if (!entry?.call_id || !entry.account_id) continue;
      // Its writer is alive (another media process sharing the directory): it sees its recordings through itself.
      if (entry.host === hostname() && entry.pid !== process.pid && processAlive(entry.pid)) continue;
      entries.push(entry);
    }
    return entries;
  }

  private async write(entry: SpoolEntry): Promise<void> {
    const path = this.noteOf(entry.call_id);
    await writeFile(`${path}.tmp`, JSON.stringify(entry));
    await rename(`${path}.tmp`, path);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
