import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRecordingStore, type RecordingStore, S3RecordingStore } from '../src';
import { startTestS3Server, type TestS3Server } from '../src/testing';

/** The same behaviour from both stores: put, size, whole and ranged reads, missing, delete. */
describe.each(['local', 's3'] as const)('%s recording store', (kind) => {
  let dir: string;
  let s3: TestS3Server | undefined;
  let store: RecordingStore;
  const call = { callId: '7c1e4d7e-59a4-4a43-9d36-2c0b7d4f1a01', accountId: 'acct_1' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-rec-store-'));
    if (kind === 's3') {
      s3 = await startTestS3Server();
      store = new S3RecordingStore(s3.settings);
    } else {
      store = new LocalRecordingStore(join(dir, 'kept'));
    }
  });
  afterAll(async () => {
    store.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a file where locationOf says, and streams it whole or by range', async () => {
    const file = join(dir, 'spooled.wav');
    const body = 'RIFF....WAVEfmt '.repeat(1000);
    await writeFile(file, body);
    const location = store.locationOf(call);
    expect(location.path).toBe(kind === 's3' ? `recordings/acct_1/${call.callId}.wav` : `${call.callId}.wav`);
    await store.put(file, location);
    expect(await store.size(location)).toBe(body.length);

    const whole = await store.open(location);
    expect(whole?.size).toBe(body.length);
    expect(await text(whole!.stream)).toBe(body);

    const part = await store.open(location, { start: 16, end: 31 });
    expect(part?.size).toBe(body.length);
    expect(part?.range).toEqual({ start: 16, end: 31 });
    expect(await text(part!.stream)).toBe(body.slice(16, 32));
    expect(await readFile(file, 'utf8')).toBe(body);
  });

  it('answers null for a recording it does not hold, and deletes idempotently', async () => {
    const gone = store.locationOf({ callId: 'a0000000-0000-4000-8000-000000000000', accountId: 'acct_1' });
    expect(await store.size(gone)).toBeNull();
    expect(await store.open(gone)).toBeNull();
    const location = store.locationOf(call);
    await store.delete(location);
    await store.delete(location);
    expect(await store.size(location)).toBeNull();
  });

  it('uploads a long recording in parts (over 8 MB: a call of about 35 minutes) and reads it back whole', async () => {
    const file = join(dir, 'long.wav');
    const body = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
    await writeFile(file, body);
    const location = store.locationOf({ ...call, callId: 'b0000000-0000-4000-8000-00000000000b' });
    await store.put(file, location);
    const read = await store.open(location);
    expect((await buffer(read!.stream)).equals(body)).toBe(true);
  });
});
