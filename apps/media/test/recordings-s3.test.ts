import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseWav } from '@parley/audio';
import type { CallEvent } from '@parley/common';
import { S3RecordingStore } from '@parley/recording-store';
import { startTestS3Server, type TestS3Server } from '@parley/recording-store/dist/testing';
import { Metrics } from '@parley/service-kit';
import { CallRecorder } from '../src/conversation/call-recorder';
import { MediaHarness } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });

/**
 * A media process with RECORDINGS_STORE=s3 against a real S3 API (s3rver): calls' recordings go to the bucket through
 * the spool, survive the store being down, and a stop with uploads pending (or a crash mid-call) loses none.
 */
let s3: TestS3Server;
let bucket: S3RecordingStore;
let spool: string;
const script = { rules: [], fallback: { text: 'Hello, this is Parley.' } };
const caller = { answer_after_ms: 200, speak_first: true, lines: ['Hello?'] };

beforeAll(async () => {
  s3 = await startTestS3Server();
  bucket = new S3RecordingStore(s3.settings);
  spool = mkdtempSync(join(tmpdir(), 'parley-media-spool-'));
});
afterAll(async () => {
  bucket?.close();
  await s3?.close();
  rmSync(spool, { recursive: true, force: true });
});

const start = () => MediaHarness.start({ script, env: { ...s3.env, RECORDINGS_DIR: spool, RECORDINGS_UPLOAD_RETRY_MS: '100', RECORDINGS_UPLOAD_SHUTDOWN_MS: '300' } });
const recordingEvents = (h: MediaHarness, callId: string) => h.events.filter((e): e is Extract<CallEvent, { type: 'recording' }> => e.type === 'recording' && e.call_id === callId);
const spooled = (callId: string) => readdirSync(spool).filter((f) => f.startsWith(callId));

/** A short call: the agent greets, then the call is released. */
async function shortCall(h: MediaHarness, number: string): Promise<string> {
  const call = await h.placeCall({ number, scenario: caller, agent: { prompt: 'Recording test agent.' } });
  await h.waitForSegment(call.callId, (s) => s.role === 'agent');
  await h.release(call.callId, 'test_done');
  await call.ended;
  return call.callId;
}

describe('recordings with the S3 store', () => {
  it('uploads a call recording when the call ends: spooled, then stored with its object key, then the spool file deleted', async () => {
    const h = await start();
    try {
      const callId = await shortCall(h, '+15550230001');
      await expect.poll(() => recordingEvents(h, callId).map((e) => e.data.state), { timeout: 30_000 }).toEqual(['spooled', 'stored']);
      const stored = recordingEvents(h, callId)[1]!;
      expect(stored.data).toMatchObject({ store: 's3', bucket: s3.bucket, path: `recordings/${stored.account_id}/${callId}.wav`, format: 'wav' });
      const location = { store: 's3' as const, bucket: s3.bucket, path: stored.data.path };
      expect(await bucket.size(location)).toBe(stored.data.bytes);
      const wav = parseWav(await buffer((await bucket.open(location))!.stream));
      expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
      expect(spooled(callId)).toEqual([]);
      const metrics = await h.app.get(Metrics).registry.metrics();
      expect(metrics).toMatch(/parley_media_recording_uploads_total\{[^}]*outcome="uploaded"[^}]*\} 1/);
      expect(metrics).toMatch(/parley_media_recordings_pending\{[^}]*\} 0/);
    } finally {
      await h.close();
    }
  });

  it('keeps retrying while S3 is down and uploads once it is back', async () => {
    const h = await start();
    try {
      await s3.stop();
      const callId = await shortCall(h, '+15550230002');
      await expect.poll(async () => (await h.app.get(Metrics).registry.metrics()).match(/parley_media_recording_uploads_total\{[^}]*outcome="failed"[^}]*\} (\d+)/)?.[1], { timeout: 30_000 }).toMatch(/^[2-9]|\d\d/);
      expect(recordingEvents(h, callId).map((e) => e.data.state)).toEqual(['spooled']);
      expect(spooled(callId).sort()).toEqual([`${callId}.json`, `${callId}.wav`]);
      await s3.start();
      await expect.poll(() => recordingEvents(h, callId).map((e) => e.data.state), { timeout: 60_000 }).toEqual(['spooled', 'stored']);
      expect(await bucket.size({ store: 's3', bucket: s3.bucket, path: recordingEvents(h, callId)[1]!.data.path })).toBe(recordingEvents(h, callId)[1]!.data.bytes);
      expect(spooled(callId)).toEqual([]);
    } finally {
      await s3.start().catch(() => undefined);
      await h.close();
    }
  });

  it('loses no recording when media stops with an upload pending or is killed mid-call: the next start uploads both', async () => {
    const first = await start();
    let callId: string;
    try {
      await s3.stop();
      callId = await shortCall(first, '+15550230003');
      await expect.poll(() => recordingEvents(first, callId).length).toBe(1);
    } finally {
      // Shutdown waits RECORDINGS_UPLOAD_SHUTDOWN_MS for the upload, then leaves it in the spool.
      await first.close();
    }
    expect(spooled(callId).sort()).toEqual([`${callId}.json`, `${callId}.wav`]);
    const accountId = recordingEvents(first, callId)[0]!.account_id;

    // What a media process killed mid-call leaves: its note (no `finished`), the audio written so far, the header as
    // created (no audio yet), and a torn last frame.
    const cutId = randomUUID();
    const cut = await CallRecorder.create(join(spool, `${cutId}.wav`));
    await cut.finish();
    appendFileSync(join(spool, `${cutId}.wav`), Buffer.alloc(16000 * 4 + 2, 1));
    writeFileSync(join(spool, `${cutId}.json`), JSON.stringify({ call_id: cutId, account_id: accountId, host: hostname(), pid: 2 ** 22 + 1 }));

    await s3.start();
    const next = await start();
    try {
      await expect.poll(() => recordingEvents(next, callId).map((e) => e.data.state), { timeout: 30_000 }).toContain('stored');
      await expect.poll(() => recordingEvents(next, cutId).map((e) => e.data.state), { timeout: 30_000 }).toEqual(['stored']);
      const recovered = recordingEvents(next, cutId)[0]!.data;
      expect(recovered).toMatchObject({ bytes: 44 + 16000 * 4, duration_ms: 1000 });
      const object = await buffer((await bucket.open({ store: 's3', bucket: s3.bucket, path: recovered.path }))!.stream);
      expect(object.length).toBe(44 + 16000 * 4);
      expect(parseWav(object).samples.length).toBe(16000 * 2);
      expect(await bucket.size({ store: 's3', bucket: s3.bucket, path: recordingEvents(next, callId).at(-1)!.data.path })).toBeGreaterThan(44);
      expect(spooled(callId)).toEqual([]);
      expect(existsSync(join(spool, `${cutId}.wav`))).toBe(false);
    } finally {
      await next.close();
    }
  });
});
