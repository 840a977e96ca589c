import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
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
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { configureBuckets(): Promise<void>; callback(): RequestListener };
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: [{ name: bucket }] });
  await s3rver.configureBuckets();
  // Below the ephemeral range (32768+), so that no outgoing connection holds the port while the server is stopped.
  let port = 20_000 + Math.floor(Math.random() * 10_000);
  let server: Server | undefined;
  const listen = () =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer(s3rver.callback());
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  const start = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        server = await listen();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
        // Taken: a first start moves on to another port; a restart waits for its own.
        if (!server && attempt < 10 && !started) port = 20_000 + Math.floor(Math.random() * 10_000);
        else await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  let started = false;
  await start();
  started = true;
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise((r) => {
      s.close(r);
      s.closeAllConnections();
    });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const settings: S3StoreSettings = { bucket, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: KEY, secretAccessKey: KEY }, prefix: 'recordings/' };
  return {
    endpoint,
    port,
    bucket,
    settings,
    env: { RECORDINGS_STORE: 's3', S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_BUCKET: bucket, S3_ACCESS_KEY_ID: KEY, S3_SECRET_ACCESS_KEY: KEY, S3_FORCE_PATH_STYLE: 'true', S3_PREFIX: 'recordings/' },
    stop,
    async start() {
      if (!server) await start();
    },
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
