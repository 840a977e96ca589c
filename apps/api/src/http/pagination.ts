import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { PageCursor } from '@parley/db';
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
  const cursor = await cursorAfter(opts.starting_after, findCursor);
  if (cursor) {
    qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:cursorAt, :cursorId)`, { cursorAt: cursor.createdAt, cursorId: cursor.id });
  }
  qb.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').take(opts.limit + 1);
  const rows = await qb.getMany();
  return { rows: rows.slice(0, opts.limit), hasMore: rows.length > opts.limit };
}

/**
 * Where the page `starting_after` asks for begins: `find` looks the object up in the list's scope, and an id it does
 * not know is refused as a parameter (a 400), not answered with an empty page.
 */
export async function cursorAfter(startingAfter: string | undefined, find: (id: string) => Promise<PageCursor | null>): Promise<PageCursor | null> {
  if (!startingAfter) return null;
  // No stored id contains NUL, and Postgres refuses it in a text parameter with a 500.
  const cursor = startingAfter.includes('\u0000') ? null : await find(startingAfter);
  if (!cursor) throw ApiError.invalid(`starting_after refers to an unknown object '${startingAfter}'`, 'starting_after');
  return cursor;
}

export function list<T>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, has_more: hasMore };
}
