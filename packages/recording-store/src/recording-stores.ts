import { LocalRecordingStore } from './local-store';
import type { RecordingLocation, RecordingStore } from './recording-store';
import { createRecordingStore, type RecordingsConfig } from './config';

/**
 * The store new recordings go to (RECORDINGS_STORE), and a reader for any row: a recording kept on local disk before a
 * switch to S3 stays readable where the directory is still mounted.
 */
export class RecordingStores {
  readonly current: RecordingStore;
  private readonly local: LocalRecordingStore;

  constructor(config: RecordingsConfig) {
    this.current = createRecordingStore(config);
    this.local = this.current instanceof LocalRecordingStore ? this.current : new LocalRecordingStore(config.RECORDINGS_DIR);
  }

  /** The store that holds `location`, or null when this process has no settings for it (an S3 row, no S3 configured). */
  holding(location: RecordingLocation): RecordingStore | null {
    if (location.store === 'local') return this.local;
    return this.current.kind === location.store ? this.current : null;
  }

  close(): void {
    this.current.close();
  }
}
