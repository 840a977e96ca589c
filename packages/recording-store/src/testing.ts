import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3StoreSettings } from './s3-store';

/** s3rver's own credentials (it checks signatures against these). */
const KEY = 'S3RVER';

export interface TestS3Server {
  endpoint: string;
  port: number;
  bucket: string;
  /** Settings for an S3RecordingStore against this server. */
  settings: S3StoreSettings;
  /** The env vars that point a service at it. */
  env: Record<string, string>;
  /** Stops answering (connections refused) without losing what it holds; `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its files. */
  close(): Promise<void>;
}

/**
 * A real S3 API for tests, in this process: s3rver (objects as files in a temp directory, path-style URLs, SigV4
 * checked), started on a free loopback port with one bucket. Only for tests: s3rver is a dev dependency.
 */
export async function startTestS3Server(bucket = 'parley-recordings'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'parley-s3-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  let port = 0;
  let server: { run(): Promise<AddressInfo>; close(): Promise<void> } | undefined;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    port = (await server.run()).port;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const settings: S3StoreSettings = { bucket, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: KEY, secretAccessKey: KEY }, prefix: 'recordings/' };
  return {
    endpoint,
    port,
    bucket,
    settings,
    env: { RECORDINGS_STORE: 's3', S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_BUCKET: bucket, S3_ACCESS_KEY_ID: KEY, S3_SECRET_ACCESS_KEY: KEY, S3_FORCE_PATH_STYLE: 'true', S3_PREFIX: 'recordings/' },
    async stop() {
      await server?.close();
      server = undefined;
    },
    start,
    async close() {
      await server?.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
