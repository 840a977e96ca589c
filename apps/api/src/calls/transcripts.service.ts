import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes, type TranscriptSegment } from '@parley/common';
import { type CallEntity, CallsRepository } from '@parley/db';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';


/** A call's transcript and recording, as the API shows them. */
@Injectable()
export class TranscriptsService {
  constructor(
    private readonly calls: CallsRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async segments(call: Pick<CallEntity, 'id' | 'accountId'>): Promise<TranscriptSegment[]> {
    return await this.calls.transcript(call.accountId, call.id);
  }

  /** The recording's file and size; 404 until media reported one, or if its file is gone. */
  async recordingFile(call: Pick<CallEntity, 'id' | 'accountId'>): Promise<{ path: string; bytes: number }> {
    const rec = await this.calls.recording(call.accountId, call.id);
    if (!rec) throw new ApiError(404, ErrorCodes.notFound, `Call '${call.id}' has no recording (yet)`, 'id');
    const path = isAbsolute(rec.path) ? rec.path : resolve(this.config.RECORDINGS_DIR, rec.path);
    const info = await stat(path).catch(() => null);
    if (!info) throw new ApiError(404, ErrorCodes.notFound, `The recording file of call '${call.id}' is missing`, 'id');
    return { path, bytes: info.size };
  }
}
