import { z } from 'zod';
import { LocalRecordingStore } from './local-store';
import { RECORDING_STORES } from '@parley/common';
import type { RecordingStore } from './recording-store';
import { S3RecordingStore } from './s3-store';

const flag = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The recording store's settings, the same in media (which uploads) and api (which streams): spread into each config. */
export const recordingsEnv = {
  /** Local disk: where recordings are kept (RECORDINGS_STORE=local) or spooled while a call runs and until uploaded (s3). */
  RECORDINGS_DIR: z.string().default('./var/recordings'),
  RECORDINGS_STORE: z.enum(RECORDING_STORES).default('local'),
  /** Unset for AWS; e.g. http://minio:9000 for MinIO. */
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().optional(),
  /** Both or neither: unset, the AWS SDK's own chain (AWS_* variables, instance or pod role) is used. */
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** true for MinIO and most self-hosted S3 servers (bucket in the path, not the host name). */
  S3_FORCE_PATH_STYLE: flag(false),
  S3_PREFIX: z.string().default('recordings/'),
};

export type RecordingsConfig = z.infer<z.ZodObject<typeof recordingsEnv>>;

/** What is wrong with the store's settings, one line each (empty: fine); checked at start with the rest of the config. */
export function recordingsConfigProblems(config: RecordingsConfig): string[] {
  const problems: string[] = [];
  if (config.RECORDINGS_STORE === 's3' && !config.S3_BUCKET) problems.push('S3_BUCKET: required with RECORDINGS_STORE=s3');
  if (Boolean(config.S3_ACCESS_KEY_ID) !== Boolean(config.S3_SECRET_ACCESS_KEY)) problems.push('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both or neither');
  return problems;
}

/** The store recordings go to (RECORDINGS_STORE). */
export function createRecordingStore(config: RecordingsConfig): RecordingStore {
  if (config.RECORDINGS_STORE === 'local') return new LocalRecordingStore(config.RECORDINGS_DIR);
  return new S3RecordingStore({
    bucket: config.S3_BUCKET!,
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY ? { credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } } : {}),
    prefix: config.S3_PREFIX,
  });
}
