import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRecordingStore, type RecordingLocation, type RecordingStore } from '@parley/recording-store';
import { type Bus, createLogger, Metrics } from '@parley/service-kit';
import { CallRecorder } from '../conversation/call-recorder';
import { MediaMetrics } from '../metrics/media-metrics';
import { RecordingSpool } from './recording-spool';
import { RecordingUploads } from './recording-uploads';

const CALL = '0b7c6a52-9a4e-4d6f-8d7e-3f1c2b4a5e01';
const ACCOUNT = 'acct_uploads';

/** An object store in memory that fails its next `failures` puts, as a store that is down would. */
class FlakyStore implements RecordingStore {
  readonly kind = 's3' as const;
  readonly objects = new Map<string, Buffer>();
  failures = 0;
  locationOf(call: { callId: string; accountId: string }): RecordingLocation {
    return { store: 's3', bucket: 'b', path: `recordings/${call.accountId}/${call.callId}.wav` };
  }
  async put(file: string, location: RecordingLocation): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connect ECONNREFUSED');
    }
    this.objects.set(location.path, readFileSync(file));
  }
  async size(location: RecordingLocation) {
    return this.objects.get(location.path)?.length ?? null;
  }
  async open() {
    return null;
  }
  async delete(location: RecordingLocation) {
    this.objects.delete(location.path);
  }
  close() {}
}

describe('RecordingUploads', () => {
  let dir: string;
  let events: Array<{ id?: string; data: any }>;
  let metrics: Metrics;
  let mediaMetrics: MediaMetrics;
  const bus = { publishCallEvent: async (_type: string, base: { id?: string }, data: unknown) => void events.push({ id: base.id, data }) } as unknown as Bus;
  const uploads = (store: RecordingStore) =>
    new RecordingUploads({ store, spool: new RecordingSpool(dir), bus, logger: createLogger('test', 'silent'), metrics: mediaMetrics, retryMs: 5 });

  /** A finished 1 s recording in the spool, as a call leaves it. */
  async function record(u: RecordingUploads): Promise<{ bytes: number; durationMs: number }> {
    await u.begin(CALL, ACCOUNT);
    const rec = await CallRecorder.create(u.spoolFileOf(CALL));
    for (let i = 0; i < 50; i++) (rec.caller(new Int16Array(320).fill(9)), rec.agent(new Int16Array(320).fill(-9)));
    return rec.finish();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-spool-'));
    events = [];
    metrics = new Metrics('media');
    mediaMetrics = new MediaMetrics(metrics);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('on local disk, announces the spool file as the stored recording and keeps it', async () => {
    const u = uploads(new LocalRecordingStore(dir));
    const size = await record(u);
    await u.finished(CALL, ACCOUNT, size);
    expect(events).toEqual([{ id: `${CALL}:recording:stored`, data: { path: `${CALL}.wav`, store: 'local', bucket: null, state: 'stored', duration_ms: 1000, bytes: size.bytes, format: 'wav' } }]);
    expect(existsSync(join(dir, `${CALL}.wav`))).toBe(true);
    expect(existsSync(join(dir, `${CALL}.json`))).toBe(false);
  });

  it('with an object store, announces it spooled, uploads, announces it stored, then deletes the spool file', async () => {
    const store = new FlakyStore();
    const u = uploads(store);
    const size = await record(u);
    await u.finished(CALL, ACCOUNT, size);
    await u.idle();
    expect(events.map((e) => [e.id, e.data.state, e.data.path])).toEqual([
      [`${CALL}:recording:spooled`, 'spooled', `recordings/${ACCOUNT}/${CALL}.wav`],
      [`${CALL}:recording:stored`, 'stored', `recordings/${ACCOUNT}/${CALL}.wav`],
    ]);
    expect(store.objects.get(`recordings/${ACCOUNT}/${CALL}.wav`)?.length).toBe(size.bytes);
    expect(existsSync(join(dir, `${CALL}.wav`))).toBe(false);
    expect(existsSync(join(dir, `${CALL}.json`))).toBe(false);
    expect(await metrics.registry.metrics()).toMatch(/parley_media_recording_uploads_total\{[^}]*outcome="uploaded"[^}]*\} 1/);
  });

  it('retries a store that fails, keeping the spool file until the upload went through', async () => {
    const store = new FlakyStore();
    store.failures = 3;
    const u = uploads(store);
    await u.finished(CALL, ACCOUNT, await record(u));
    await u.idle();
    expect(store.objects.size).toBe(1);
    expect(events.at(-1)?.data.state).toBe('stored');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/parley_media_recording_uploads_total\{[^}]*outcome="failed"[^}]*\} 3/);
    expect(text).toMatch(/parley_media_recordings_pending\{[^}]*\} 0/);
  });

  it('at shutdown stops retrying and leaves the recording in the spool, which the next start uploads', async () => {
    const store = new FlakyStore();
    store.failures = Number.MAX_SAFE_INTEGER;
    const first = uploads(store);
    await first.finished(CALL, ACCOUNT, await record(first));
    expect(first.pending).toBe(1);
    await first.drain(1000);
    expect(existsSync(join(dir, `${CALL}.wav`))).toBe(true);
    store.failures = 0;
    const next = uploads(store);
    expect(await next.recover()).toBe(1);
    await next.idle();
    expect(store.objects.size).toBe(1);
    expect(existsSync(join(dir, `${CALL}.wav`))).toBe(false);
  });

  it('at start, completes a recording cut by a crash (its header fixed) and uploads it playable', async () => {
    const store = new FlakyStore();
    const u = uploads(store);
    const { bytes } = await record(u);
    // What a killed process leaves: the note without `finished`, the header as created, written by a dead process.
    const wav = readFileSync(join(dir, `${CALL}.wav`));
    wav.writeUInt32LE(0, 40);
    writeFileSync(join(dir, `${CALL}.wav`), wav);
    writeFileSync(join(dir, `${CALL}.json`), JSON.stringify({ call_id: CALL, account_id: ACCOUNT, host: 'gone-host', pid: 1 }));
    expect(await uploads(store).recover()).toBe(1);
    await u.idle();
    await expect.poll(() => store.objects.size).toBe(1);
    const stored = store.objects.get(`recordings/${ACCOUNT}/${CALL}.wav`)!;
    expect(stored.length).toBe(bytes);
    expect(stored.readUInt32LE(40)).toBe(bytes - 44);
  });

  it('leaves alone a recording another live process on this machine is writing', async () => {
    const u = uploads(new FlakyStore());
    await u.begin(CALL, ACCOUNT);
    writeFileSync(join(dir, `${CALL}.wav`), Buffer.alloc(44));
    // This test's parent process stands in for another media process sharing the directory.
    const note = JSON.parse(readFileSync(join(dir, `${CALL}.json`), 'utf8'));
    writeFileSync(join(dir, `${CALL}.json`), JSON.stringify({ ...note, pid: process.ppid }));
    expect(await uploads(new FlakyStore()).recover()).toBe(0);
  });

  it("does not take this process's own calls still recording for leftovers", async () => {
    const u = uploads(new FlakyStore());
    await u.begin(CALL, ACCOUNT);
    writeFileSync(join(dir, `${CALL}.wav`), Buffer.alloc(44));
    expect(await u.recover()).toBe(0);
    expect(existsSync(join(dir, `${CALL}.json`))).toBe(true);
  });
});
