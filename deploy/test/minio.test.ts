import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '../../apps/api/src/config';
import { loadMediaConfig } from '../../apps/media/src/config';
import { createRecordingStore } from '../../packages/recording-store/src';
import { startTestS3Server } from '../../packages/recording-store/src/testing';
import { type ComposeFile, composeValidator, interpolate, readComposeRaw } from './support/compose';
import { envRecord } from './support/dotenv';
import { composeWithEnv, envExample, path, read } from './support/repo';

// deploy/minio.yml, the compose override that keeps recordings in MinIO: parsed as compose reads it with .env from
// .env.example, checked against the main file, and its parts run: the services' settings load and, pointed at a real
// S3 API (s3rver in place of MinIO, which has no npm build), store and stream a recording.
const env = envRecord(envExample());
const { doc: override } = interpolate(readComposeRaw(path('deploy/minio.yml')) as ComposeFile, env);
const { compose } = composeWithEnv();
const serviceEnv = (name: string) => override.services[name]!.environment as Record<string, string>;
/** What a service sees: .env (env_file), then the override's environment on top, as compose merges them. */
const effective = (name: string) => ({ ...env, ...serviceEnv(name) });

describe('deploy/minio.yml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-compose-minio-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a valid compose file on top of the main one, with MinIO and its bucket job at pinned releases', () => {
    const validate = composeValidator();
    expect(validate(override), JSON.stringify(validate.errors)).toBe(true);
    for (const name of ['minio', 'minio-bucket']) expect(override.services[name]!.image).toMatch(/^minio\/(minio|mc):RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);
    for (const name of ['api', 'media']) expect(Object.keys(compose.services)).toContain(name);
    expect(Object.keys(override.volumes ?? {})).toContain('minio-data');
    // MinIO is not published on the host: api and media reach it on the compose network.
    expect(override.services.minio!.ports).toBeUndefined();
  });

  it('creates the bucket api and media use, with their credentials, before they start', () => {
    const job = override.services['minio-bucket']!;
    expect((job.depends_on as Record<string, { condition: string }>).minio!.condition).toBe('service_healthy');
    const script = (job as typeof job & { entrypoint: string[] }).entrypoint.join(' ');
    expect(script).toContain('mc mb --ignore-existing "parley/$S3_BUCKET"');
    expect(script).toContain('mc alias set parley "$S3_ENDPOINT" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"');
    const minio = override.services.minio!.environment as Record<string, string>;
    for (const name of ['api', 'media']) {
      expect((override.services[name]!.depends_on as Record<string, { condition: string }>)['minio-bucket']!.condition).toBe('service_completed_successfully');
      expect(serviceEnv(name)).toEqual(serviceEnv('minio-bucket'));
      expect(serviceEnv(name)).toMatchObject({ RECORDINGS_STORE: 's3', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: minio.MINIO_ROOT_USER, S3_SECRET_ACCESS_KEY: minio.MINIO_ROOT_PASSWORD });
    }
    // MinIO refuses a root password under 8 characters.
    expect(minio.MINIO_ROOT_PASSWORD!.length).toBeGreaterThanOrEqual(8);
    expect(read('deploy/README.md')).toContain('deploy/minio.yml');
  });

  it("gives api and media settings they accept, which store and stream a recording on a real S3 API", async () => {
    const api = loadApiConfig(effective('api'));
    const media = loadMediaConfig(effective('media'));
    expect(api).toMatchObject({ RECORDINGS_STORE: 's3', S3_BUCKET: media.S3_BUCKET, S3_FORCE_PATH_STYLE: true });
    // The same bucket, prefix and addressing, with the test server's address and credentials in MinIO's place.
    const s3 = await startTestS3Server(media.S3_BUCKET);
    const swap = { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.env.S3_ACCESS_KEY_ID!, S3_SECRET_ACCESS_KEY: s3.env.S3_SECRET_ACCESS_KEY! };
    const writer = createRecordingStore({ ...media, ...swap });
    const reader = createRecordingStore({ ...api, ...swap });
    try {
      const file = join(dir, 'call.wav');
      writeFileSync(file, 'RIFF-recording');
      const location = writer.locationOf({ callId: 'c0ffee00-0000-4000-8000-000000000001', accountId: 'acct_compose' });
      await writer.put(file, location);
      expect(await text((await reader.open(location))!.stream)).toBe('RIFF-recording');
    } finally {
      writer.close();
      reader.close();
      await s3.close();
    }
  });
});
