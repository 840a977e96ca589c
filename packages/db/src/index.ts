export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './secret-box';
export * from './test-database';
export { DataSource, EntityManager, Repository, In, IsNull, Not } from 'typeorm';

import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
/** TypeORM's deep-partial type trips on jsonb `Record<string, unknown>` columns; entity rows and patches are exact, so cast once here. */
export function asRow<T>(row: Partial<T>): QueryDeepPartialEntity<T> {
  return row as QueryDeepPartialEntity<T>;
}
