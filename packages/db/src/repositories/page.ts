import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/** Where a page starts: the (created_at, id) of the last row of the previous page. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** A page of a list, newest first. */
export interface Page<T> {
  rows: T[];
  hasMore: boolean;
}

/**
 * Cursor pagination, newest first, keyed on (created_at, id) so rows created in the same instant are neither skipped
 * nor repeated. Fetches one row more than `limit` to know whether another page follows.
 */
export async function newestFirst<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, page: { limit: number; after: PageCursor | null }): Promise<Page<T>> {
  if (page.after) {
    // The cursor row's created_at as stored: the Date in the cursor has lost its microseconds, and rows made in the
    // same millisecond after it would be skipped. The Date stands in if the row is gone.
    const table = qb.expressionMap.mainAlias!.metadata.tableName;
    qb.andWhere(`(${alias}.created_at, ${alias}.id) < (COALESCE((SELECT cursor_row.created_at FROM ${table} cursor_row WHERE cursor_row.id = :cursorId), :cursorAt), :cursorId)`, {
      cursorAt: page.after.createdAt,
      cursorId: page.after.id,
    });
  }
  qb.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').take(page.limit + 1);
  const rows = await qb.getMany();
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}
