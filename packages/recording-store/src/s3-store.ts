import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type ByteRange, type RecordingBody, type RecordingLocation, type RecordingStore, recordingFileName } from './recording-store';

export interface S3StoreSettings {
  bucket: string;
  region: string;
  /** Any S3 API (MinIO, Ceph, R2...); unset for AWS itself. */
  endpoint?: string;
  /** Bucket in the path (`http://host/bucket/key`), as MinIO and most self-hosted servers need. */
  forcePathStyle: boolean;
  /** Unset: the SDK's own chain (AWS_* variables, instance or pod role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Put before every key, e.g. `recordings/`. */
  prefix: string;
}

/** Recordings uploaded above this size go in parts of this size (a 60 s call is 3.8 MB, one part). */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Recordings as objects in an S3-compatible bucket: `<prefix><account_id>/<call_id>.wav`. Checksums are only sent where
 * the S3 API requires them: the SDK's newer default (CRC32 on every upload) is refused by several S3-compatible servers.
 */
export class S3RecordingStore implements RecordingStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly settings: S3StoreSettings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get bucket(): string {
    return this.settings.bucket;
  }

  locationOf(call: { callId: string; accountId: string }): RecordingLocation {
    return { store: 's3', bucket: this.settings.bucket, path: `${this.settings.prefix}${call.accountId}/${recordingFileName(call.callId)}` };
  }

  async put(file: string, location: RecordingLocation): Promise<void> {
    const { size } = await stat(file);
    const bucket = location.bucket ?? this.settings.bucket;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: location.path, Body: createReadStream(file), ContentType: 'audio/wav', ContentLength: size },
      partSize: PART_BYTES,
      queueSize: 2,
    });
    await upload.done();
    const stored = await this.size(location);
    if (stored !== size) throw new Error(`s3://${bucket}/${location.path} holds ${stored ?? 'nothing'} bytes after the upload of ${size}`);
  }

  async size(location: RecordingLocation): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: location.bucket ?? this.settings.bucket, Key: location.path }));
      return head.ContentLength ?? null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async open(location: RecordingLocation, range?: ByteRange): Promise<RecordingBody | null> {
    try {
      const got = await this.client.send(
        new GetObjectCommand({ Bucket: location.bucket ?? this.settings.bucket, Key: location.path, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const size = range ? totalOf(got.ContentRange) : got.ContentLength;
      if (size === undefined || !got.Body) throw new Error(`s3://${location.bucket}/${location.path}: no size or body in the answer`);
      return { stream: got.Body as Readable, size, range: range ?? null };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(location: RecordingLocation): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: location.bucket ?? this.settings.bucket, Key: location.path }));
  }

  close(): void {
    this.client.destroy();
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound');
}

/** `bytes 0-99/1234` -> 1234. */
function totalOf(contentRange: string | undefined): number | undefined {
  const m = /\/(\d+)\s*$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : undefined;
}
