import type { LedgerEntryType } from '@parley/common';
import { CreditLedgerEntryEntity } from '../entities/credit-ledger-entry.entity';
import { returnedRows } from '../rows';
import { DbRepository } from './db-repository';
import type { Page } from './page';

/** One movement to write: `amount` moved the balance to `balanceAfter`. */
export interface NewLedgerEntry {
  accountId: string;
  callId: string | null;
  type: LedgerEntryType;
  amount: number;
  balanceAfter: number;
  note?: string | null;
}

/** Where a balance move left the account: refused (`ok` false), unlimited (`limited` false, no balance), or at `balance`. */
export interface BalanceMove {
  ok: boolean;
  limited: boolean;
  balance: number | null;
}

/**
 * Accounts' credit: the balance on the account row (null = unlimited), the ledger of its movements, and the money
 * live calls hold. Moves that must stand or fall with a call row run in the caller's transaction (`with(m)`).
 */
export class CreditLedgerRepository extends DbRepository {
  /** Runs `work` with this repository inside one transaction (a savepoint when already inside one). */
  transaction<T>(work: (ledger: CreditLedgerRepository) => Promise<T>): Promise<T> {
    return this.db.transaction((m) => work(this.with(m)));
  }

  /** Moves the balance by `delta` (negative to take), refusing to go below zero when `guard`. */
  async moveBalance(accountId: string, delta: number, guard: boolean): Promise<BalanceMove> {
    const rows = returnedRows<{ balance_milli_cents: string | null }>(
      await this.db.query(
        `UPDATE accounts SET balance_milli_cents = CASE WHEN balance_milli_cents IS NULL THEN NULL ELSE balance_milli_cents + $2 END
          WHERE id = $1 AND (balance_milli_cents IS NULL OR NOT $3 OR balance_milli_cents + $2 >= 0)
          RETURNING balance_milli_cents`,
        [accountId, delta, guard],
      ),
    );
    if (!rows[0]) return { limited: true, balance: null, ok: false };
    const b = rows[0].balance_milli_cents;
    return { limited: b !== null, balance: b === null ? null : Number(b), ok: true };
  }

  async record(e: NewLedgerEntry): Promise<void> {
    await this.db.query(`INSERT INTO credit_ledger (account_id, call_id, type, amount_milli_cents, balance_after_milli_cents, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
      e.accountId,
      e.callId,
      e.type,
      e.amount,
      e.balanceAfter,
      e.note ?? null,
    ]);
  }

  /** The balance (null = unlimited), locked until the transaction ends; null when there is no such account. */
  async lockBalance(accountId: string): Promise<{ balance: number | null } | null> {
    const rows: Array<{ balance_milli_cents: string | null }> = await this.db.query('SELECT balance_milli_cents FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
    if (!rows[0]) return null;
    return { balance: rows[0].balance_milli_cents === null ? null : Number(rows[0].balance_milli_cents) };
  }

  async setBalance(accountId: string, balance: number): Promise<void> {
    await this.db.query('UPDATE accounts SET balance_milli_cents = $2 WHERE id = $1', [accountId, balance]);
  }

  /** What the account's ledger sums to. */
  async sum(accountId: string): Promise<number> {
    const rows: Array<{ sum: string | null }> = await this.db.query('SELECT COALESCE(SUM(amount_milli_cents), 0) AS sum FROM credit_ledger WHERE account_id = $1', [accountId]);
    return Number(rows[0]?.sum ?? 0);
  }

  /** The money the account's calls hold now: their reservations not yet settled or released. */
  async reservedByCalls(accountId: string): Promise<number> {
    const rows: Array<{ sum: string | null }> = await this.db.query(`SELECT COALESCE(SUM(reserved_milli_cents), 0) AS sum FROM calls WHERE account_id = $1 AND reservation_status = 'reserved'`, [accountId]);
    return Number(rows[0]?.sum ?? 0);
  }

  /** The account's entries newest first (ids grow), after the entry `beforeId` when given (a bigint in decimal). */
  async entries(accountId: string, page: { limit: number; beforeId: string | null }): Promise<Page<CreditLedgerEntryEntity>> {
    const qb = this.db.getRepository(CreditLedgerEntryEntity).createQueryBuilder('l').where('l.account_id = :accountId', { accountId });
    if (page.beforeId !== null) qb.andWhere('l.id < :after', { after: page.beforeId });
    const rows = await qb.orderBy('l.id', 'DESC').take(page.limit + 1).getMany();
    return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
  }
}
