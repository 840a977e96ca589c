import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3RecordingStore } from '@parley/recording-store';
import { startTestS3Server, type TestS3Server } from '@parley/recording-store/dist/testing';
import { createLogger } from '@parley/service-kit';

let s3: TestS3Server;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3Server();
  dir = await mkdtemp(join(tmpdir(), 'parley-s3-err-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What media logs when an upload fails (the SDK's error, as pino serializes it) must not carry the S3 secret. */
it('fails an upload to a missing bucket, and the error as media logs it carries no secret key', async () => {
  // s3rver takes any secret; a missing bucket makes the SDK throw a service error with the request's metadata.
  const secret = 'secret-4f9c1d2e7a-never-logged';
  const store = new S3RecordingStore({ ...s3.settings, bucket: 'no-such-bucket', credentials: { accessKeyId: 'S3RVER', secretAccessKey: secret } });
  const file = join(dir, 'a.wav');
  await writeFile(file, 'RIFF');
  const err = await store.put(file, store.locationOf({ callId: 'c', accountId: 'a' })).catch((e: unknown) => e);
  store.close();
  expect(err).toBeInstanceOf(Error);
  let line = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((line += String(chunk)), done()) });
  createLogger('media', 'info', sink).warn({ err }, 'recording not stored; retrying');
  expect(line).toContain('recording not stored');
  expect(line).toContain('NoSuchBucket');
  expect(line).not.toContain(secret);
});
