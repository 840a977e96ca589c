import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ApiError } from './api-error';

/**
 * Cursor pagination, newest first, keyed on (created_at, id) so rows created in the same instant are neither skipped
 * nor repeated. `starting_after` is the id of the last object of the previous page.
 */
export async function paginate<T extends ObjectLiteral & { id: string; createdAt: Date }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  opts: { limit: number; starting_after?: string },
  findCursor: (id: string) => Promise<{ createdAt: Date; id: string } | null>,
): Promise<{ rows: T[]; hasMore: boolean }> {
  if (opts.starting_after) {
    // No stored id contains NUL, and Postgres refuses it in a text parameter with a 500.
    const cursor = opts.starting_after.includes('\u0000') ? null : await findCursor(opts.starting_after);
    if (!cursor) throw ApiError.invalid(`starting_after refers to an unknown object '${opts.starting_after}'`, 'starting_after');
    qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:cursorAt, :cursorId)`, { cursorAt: cursor.createdAt, cursorId: cursor.id });
  }
  qb.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').take(opts.limit + 1);
  const rows = await qb.getMany();
  return { rows: rows.slice(0, opts.limit), hasMore: rows.length > opts.limit };
}

export function list<T>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, has_more: hasMore };
}
