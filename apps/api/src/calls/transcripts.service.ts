import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ErrorCodes, type TranscriptSegment } from '@parley/common';
import { type CallEntity, CallsRepository } from '@parley/db';
import { byteRange, type RecordingBody, RecordingStores } from '@parley/recording-store';
import { LOGGER, type Logger } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';

/** While media is still uploading a finished recording, clients are asked to come back after this many seconds. */
const NOT_READY_RETRY_SECONDS = 5;

/** What a recording request gets: its bytes (all, or the range asked for), or the size a range missed. */
export type RecordingRead = { body: RecordingBody } | { unsatisfiable: { size: number } };

/** A call's transcript and recording, as the API shows them. */
@Injectable()
export class TranscriptsService implements OnModuleDestroy {
  private readonly stores: RecordingStores;

  constructor(
    private readonly calls: CallsRepository,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.stores = new RecordingStores(config);
  }

  onModuleDestroy(): void {
    this.stores.close();
  }

  async segments(call: Pick<CallEntity, 'id' | 'accountId'>): Promise<TranscriptSegment[]> {
    return await this.calls.transcript(call.accountId, call.id);
  }

  /**
   * The recording from wherever its row says it is kept (local disk or S3), whole or the one range of an HTTP `Range`
   * header. 404 `resource_not_found` until media reported one or if its store lost it, 404 `recording_not_ready`
   * (Retry-After) while it is finished but not yet uploaded from media's spool.
   */
  async recording(call: Pick<CallEntity, 'id' | 'accountId'>, rangeHeader?: string): Promise<RecordingRead> {
    const rec = await this.calls.recording(call.accountId, call.id);
    if (!rec) throw new ApiError(404, ErrorCodes.notFound, `Call '${call.id}' has no recording (yet)`, 'id');
    if (rec.state === 'spooled') {
      throw new ApiError(404, ErrorCodes.recordingNotReady, `The recording of call '${call.id}' is finished and being uploaded; try again in a few seconds`, 'id', {
        'Retry-After': String(NOT_READY_RETRY_SECONDS),
      });
    }
    const location = { store: rec.store, bucket: rec.bucket, path: rec.path };
    const store = this.stores.holding(location);
    if (!store) {
      throw new ApiError(503, ErrorCodes.unavailable, `The recording of call '${call.id}' is kept in ${rec.store} storage, which this api is not configured to read (RECORDINGS_STORE, S3_*)`);
    }
    try {
      const size = await store.size(location);
      const range = size === null ? null : byteRange(rangeHeader, size);
      if (range === 'unsatisfiable') return { unsatisfiable: { size: size! } };
      const body = size === null ? null : await store.open(location, range ?? undefined);
      if (!body) throw new ApiError(404, ErrorCodes.notFound, `The recording file of call '${call.id}' is missing`, 'id');
      return { body };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      this.logger.error({ err, call_id: call.id, store: rec.store, bucket: rec.bucket, key: rec.path }, 'recording store unreachable');
      throw new ApiError(503, ErrorCodes.unavailable, 'The recording store could not be reached; try again shortly');
    }
  }
}
