import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { textStorageProblem } from '@parley/common';
import { ApiError } from './api-error';

/**
 * Runs on every `@Param` of every route: an id Postgres cannot hold (NUL, lone surrogate) names nothing that exists,
 * so it is a 404 here rather than a 500 when the query reaches Postgres.
 */
@Injectable()
export class StorablePathParams implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'param' && typeof value === 'string' && textStorageProblem(value) !== null) {
      throw ApiError.notFound('object', value);
    }
    return value;
  }
}
