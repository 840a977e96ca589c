import type { PageCursor } from '@parley/db';
import { ApiError } from './api-error';

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
