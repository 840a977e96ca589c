import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
/** TypeORM's deep-partial type trips on jsonb `Record<string, unknown>` columns; entity rows and patches are exact, so cast once here. */
export function asRow<T>(row: Partial<T>): QueryDeepPartialEntity<T> {
  return row as QueryDeepPartialEntity<T>;
}

/** TypeORM's postgres `query()` answers UPDATE/DELETE ... RETURNING with `[rows, affected]`; this gives the rows in every case. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
