import { stat } from 'node:fs/promises';
import type { RecordingLocation, RecordingStore } from '@parley/recording-store';
import type { Bus, Logger } from '@parley/service-kit';
import { CallRecorder } from '../conversation/call-recorder';
import type { MediaMetrics } from '../metrics/media-metrics';
import type { RecordingSpool, SpoolEntry } from './recording-spool';

export interface RecordingUploadsOptions {
  store: RecordingStore;
  spool: RecordingSpool;
  bus: Bus;
  logger: Logger;
  metrics: MediaMetrics;
  /** First wait after a failed attempt; doubled each time up to RETRY_CAP_MS. */
  retryMs: number;
}

const RETRY_CAP_MS = 30_000;

/**
 * Sees each finished recording into its store and tells the api where it is: with S3, `recording` (spooled) at once,
 * then the upload, retried with backoff for as long as it takes, then `recording` (stored), and only then the spool
 * file is deleted. On local disk the spool file is the kept copy: `recording` (stored) right away. What a stopped
 * process left in the spool is taken up at the next start, so a recording survives a restart mid-upload.
 */
export class RecordingUploads {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Calls of this process still recording: their notes are not leftovers, whatever the order of start-up. */
  private readonly recording = new Set<string>();
  private stopping = false;
  private readonly wake = new Set<() => void>();

  constructor(private readonly o: RecordingUploadsOptions) {}

  /** Where a call's WAV is written while it runs. */
  spoolFileOf(callId: string): string {
    return this.o.spool.wavOf(callId);
  }

  /** A call's recording starts (before its first byte is written). */
  begin(callId: string, accountId: string): Promise<void> {
    this.recording.add(callId);
    return this.o.spool.begin(callId, accountId);
  }

  /** The call's WAV is complete: announced, and on its way to the store (not awaited for S3). */
  async finished(callId: string, accountId: string, size: { bytes: number; durationMs: number }): Promise<void> {
    this.recording.delete(callId);
    const entry = await this.o.spool.finished(callId, accountId, { bytes: size.bytes, duration_ms: size.durationMs });
    if (this.o.store.kind !== 'local') {
      await this.announce(entry, 'spooled').catch((err) => this.o.logger.warn({ err, call_id: callId }, 'recording (spooled) not announced; announced once stored'));
      this.enqueue(entry);
      return;
    }
    // Local disk: stored already; only a failed announcement goes through the retries.
    try {
      await this.store(entry);
    } catch (err) {
      this.o.logger.warn({ err, call_id: callId }, 'recording not announced; retrying');
      this.enqueue(entry);
    }
  }

  /** At start: what a stopped process left, cut recordings completed first (their header fixed), then stored. */
  async recover(): Promise<number> {
    const entries = (await this.o.spool.leftovers()).filter((e) => !this.recording.has(e.call_id) && !this.inFlight.has(e.call_id));
    for (const left of entries) {
      let entry = left;
      if (!entry.finished) {
        const wav = this.o.spool.wavOf(entry.call_id);
        if (!(await stat(wav).catch(() => null))) {
          await this.o.spool.done(entry.call_id, false);
          continue;
        }
        const size = await CallRecorder.completeCut(wav);
        entry = await this.o.spool.finished(entry.call_id, entry.account_id, { bytes: size.bytes, duration_ms: size.durationMs });
        this.o.logger.warn({ call_id: entry.call_id, bytes: size.bytes, duration_ms: size.durationMs }, 'recording cut by a stop completed');
      }
      this.enqueue(entry);
    }
    if (entries.length > 0) this.o.logger.info({ recordings: entries.length }, 'recordings left in the spool taken up');
    return entries.length;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves when nothing is left to upload (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Shutdown: waits up to `timeoutMs` for uploads under way (retries are cut short: a store that is down stays down
   * past a shutdown); what is left stays in the spool for the next start.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const w of this.wake) w();
    if (this.inFlight.size === 0) return;
    this.o.logger.info({ uploads: this.inFlight.size, timeout_ms: timeoutMs }, 'waiting for recording uploads');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) this.o.logger.warn({ uploads: this.inFlight.size }, 'recordings left in the spool for the next start');
  }

  private enqueue(entry: SpoolEntry): void {
    if (this.inFlight.has(entry.call_id)) return;
    const job = this.storeWithRetries(entry).finally(() => {
      this.inFlight.delete(entry.call_id);
      this.o.metrics.recordingsPending.set(this.inFlight.size);
    });
    this.inFlight.set(entry.call_id, job);
    this.o.metrics.recordingsPending.set(this.inFlight.size);
  }

  private async storeWithRetries(entry: SpoolEntry): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store(entry);
        return;
      } catch (err) {
        this.o.metrics.recordingUploads.inc({ outcome: 'failed' });
        const waitMs = Math.min(RETRY_CAP_MS, this.o.retryMs * 2 ** attempt);
        if (this.stopping) {
          this.o.logger.warn({ err, call_id: entry.call_id }, 'recording not stored; left in the spool for the next start');
          return;
        }
        this.o.logger.warn({ err, call_id: entry.call_id, attempt: attempt + 1, retry_in_ms: waitMs }, 'recording not stored; retrying');
        await this.pause(waitMs);
      }
    }
  }

  /** Upload (none on local disk), announce it stored, then let go of the spool's copy: in that order, each repeatable. */
  private async store(entry: SpoolEntry): Promise<void> {
    const location = this.o.store.locationOf({ callId: entry.call_id, accountId: entry.account_id });
    const local = this.o.store.kind === 'local';
    if (!local) {
      const wav = this.o.spool.wavOf(entry.call_id);
      if (!(await stat(wav).catch(() => null))) {
        // Nothing to retry: the file was removed behind our back.
        this.o.logger.error({ call_id: entry.call_id, file: wav }, 'recording lost: its spool file is gone');
        await this.o.spool.done(entry.call_id, false);
        return;
      }
      const started = performance.now();
      await this.o.store.put(wav, location);
      const seconds = (performance.now() - started) / 1000;
      this.o.metrics.recordingUploads.inc({ outcome: 'uploaded' });
      this.o.metrics.recordingUploadSeconds.observe(seconds);
      this.o.logger.info({ call_id: entry.call_id, key: location.path, bytes: entry.finished?.bytes, seconds: Math.round(seconds * 1000) / 1000 }, 'recording uploaded');
    }
    await this.announce(entry, 'stored', location);
    await this.o.spool.done(entry.call_id, local);
  }

  private async announce(entry: SpoolEntry, state: 'spooled' | 'stored', location?: RecordingLocation): Promise<void> {
    const where = location ?? this.o.store.locationOf({ callId: entry.call_id, accountId: entry.account_id });
    const size = entry.finished!;
    // One id per state: a repeat after a restart is the same event to the api.
    await this.o.bus.publishCallEvent(
      'recording',
      { call_id: entry.call_id, account_id: entry.account_id, id: `${entry.call_id}:recording:${state}` },
      { path: where.path, store: where.store, bucket: where.bucket, state, duration_ms: size.duration_ms, bytes: size.bytes, format: 'wav' },
    );
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }
}
