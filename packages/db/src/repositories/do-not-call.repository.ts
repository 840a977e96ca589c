import { DoNotCallEntity } from '../entities/do-not-call.entity';
import { DbRepository } from './db-repository';
import type { Page, PageCursor } from './page';

/** An account's do-not-call list. A page cursor's `id` is the number. */
export class DoNotCallRepository extends DbRepository {
  /** Lists the number; false if it was listed already (its reason and date are kept). */
  async add(accountId: string, number: string, reason: string | null): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`INSERT INTO do_not_call (account_id, number, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING number`, [accountId, number, reason]);
    return rows.length > 0;
  }

  /** Lists many numbers in one statement; answers how many were not listed before. */
  async addMany(accountId: string, entries: Array<{ number: string; reason: string | null }>): Promise<number> {
    if (entries.length === 0) return 0;
    const rows: unknown[] = await this.db.query(
      `INSERT INTO do_not_call (account_id, number, reason) SELECT $1, n, r FROM unnest($2::text[], $3::text[]) AS e(n, r) ON CONFLICT DO NOTHING RETURNING number`,
      [accountId, entries.map((e) => e.number), entries.map((e) => e.reason)],
    );
    return rows.length;
  }

  get(accountId: string, number: string): Promise<DoNotCallEntity | null> {
    return this.db.getRepository(DoNotCallEntity).findOneBy({ accountId, number });
  }

  /** Whether a call to the number is refused. */
  async listed(accountId: string, number: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM do_not_call WHERE account_id = $1 AND number = $2`, [accountId, number]);
    return rows.length > 0;
  }

  /** Which of these numbers are listed. */
  async listedAmong(accountId: string, numbers: string[]): Promise<Set<string>> {
    if (numbers.length === 0) return new Set();
    const rows: Array<{ number: string }> = await this.db.query(`SELECT number FROM do_not_call WHERE account_id = $1 AND number = ANY($2::text[])`, [accountId, numbers]);
    return new Set(rows.map((r) => r.number));
  }

  async remove(accountId: string, number: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected] = (await this.db.query(`DELETE FROM do_not_call WHERE account_id = $1 AND number = $2`, [accountId, number])) as [unknown[], number];
    return affected > 0;
  }

  /** Newest first, keyed on (created_at, number). */
  async list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<DoNotCallEntity>> {
    const qb = this.db.getRepository(DoNotCallEntity).createQueryBuilder('d').where('d.account_id = :accountId', { accountId });
    // The cursor row's own created_at, read in SQL: a JS Date would drop its microseconds and skip rows of the same instant.
    if (page.after) qb.andWhere('(d.created_at, d.number) < (SELECT c.created_at, c.number FROM do_not_call c WHERE c.account_id = :accountId AND c.number = :cursorNumber)', { cursorNumber: page.after.id });
    const rows = await qb.orderBy('d.created_at', 'DESC').addOrderBy('d.number', 'DESC').take(page.limit + 1).getMany();
    return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
  }

  /** Where a page after this number starts; null when it is not listed. */
  async cursor(accountId: string, number: string): Promise<PageCursor | null> {
    const entry = await this.get(accountId, number);
    return entry ? { createdAt: entry.createdAt, id: entry.number } : null;
  }
}
