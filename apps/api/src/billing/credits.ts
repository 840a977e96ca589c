import { ErrorCodes } from '@parley/common';
import { type AccountEntity, type CallEntity, type EntityManager, returnedRows } from '@parley/db';
import { ApiError } from '../http/api-error';
import { amountMilliCents, billedSeconds } from './billing-math';

type LedgerType = 'set' | 'add' | 'reserve' | 'release' | 'charge';

async function ledger(m: EntityManager, accountId: string, callId: string | null, type: LedgerType, amount: number, balanceAfter: number, note: string | null = null) {
  await m.query(`INSERT INTO credit_ledger (account_id, call_id, type, amount_milli_cents, balance_after_milli_cents, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
    accountId,
    callId,
    type,
    amount,
    balanceAfter,
    note,
  ]);
}

/** Moves the balance by `delta` (negative to take), refusing to go below zero when `guard`; null = unlimited. */
async function moveBalance(m: EntityManager, accountId: string, delta: number, guard: boolean): Promise<{ limited: boolean; balance: number | null; ok: boolean }> {
  const rows = returnedRows<{ balance_milli_cents: string | null }>(await m.query(
    `UPDATE accounts SET balance_milli_cents = CASE WHEN balance_milli_cents IS NULL THEN NULL ELSE balance_milli_cents + $2 END
      WHERE id = $1 AND (balance_milli_cents IS NULL OR NOT $3 OR balance_milli_cents + $2 >= 0)
      RETURNING balance_milli_cents`,
    [accountId, delta, guard],
  ));
  if (!rows[0]) return { limited: true, balance: null, ok: false };
  const b = rows[0].balance_milli_cents;
  return { limited: b !== null, balance: b === null ? null : Number(b), ok: true };
}

/**
 * The reservation for a new call: the agent's max duration at the account's rate, taken from the balance in the
 * caller's transaction (so the call row and the reservation stand or fall together). Unlimited accounts reserve 0.
 */
export type AccountBilling = Pick<AccountEntity, 'id' | 'balanceMilliCents' | 'rateMilliCentsPerMinute' | 'billingIncrementSeconds' | 'billingMinimumSeconds'>;

export async function reserveForCall(m: EntityManager, account: AccountBilling, callId: string, maxDurationSeconds: number): Promise<number> {
  const want = amountMilliCents(billedSeconds(maxDurationSeconds * 1000, account.billingIncrementSeconds, account.billingMinimumSeconds), account.rateMilliCentsPerMinute);
  // Unlimited accounts hold nothing, and skipping the update keeps their calls off the account row's lock.
  if (want === 0 || account.balanceMilliCents === null) return 0;
  const moved = await moveBalance(m, account.id, -want, true);
  if (!moved.ok) {
    throw new ApiError(402, ErrorCodes.insufficientCredit, `Insufficient credit: this call needs a reservation of ${want} milli-cents (max_duration_seconds at the account rate)`, null);
  }
  if (!moved.limited) return 0;
  await ledger(m, account.id, callId, 'reserve', -want, moved.balance!);
  return want;
}

/** Settles a terminal call: releases its reservation and charges the actual amount (or only releases if never connected). */
export async function settleCall(m: EntityManager, call: CallEntity, account: AccountBilling, billed: number): Promise<{ amount: number; status: 'settled' | 'released' }> {
  const amount = amountMilliCents(billed, account.rateMilliCentsPerMinute);
  const reserved = call.reservedMilliCents ?? 0;
  if (reserved > 0) {
    const r = await moveBalance(m, account.id, reserved, false);
    if (r.limited) await ledger(m, account.id, call.id, 'release', reserved, r.balance!);
  }
  if (amount > 0) {
    const c = await moveBalance(m, account.id, -amount, false);
    if (c.limited) await ledger(m, account.id, call.id, 'charge', -amount, c.balance!);
  }
  return { amount, status: billed > 0 ? 'settled' : 'released' };
}

/** Admin: set the balance to an absolute amount (an unlimited account becomes limited), or add to it. */
export async function setCredits(m: EntityManager, accountId: string, amount: number, mode: 'set' | 'add', note: string | null = null): Promise<number> {
  const rows: Array<{ balance_milli_cents: string | null }> = await m.query('SELECT balance_milli_cents FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  if (!rows[0]) throw new Error(`no such account: ${accountId}`);
  const current = rows[0].balance_milli_cents === null ? null : Number(rows[0].balance_milli_cents);
  // The ledger of an unlimited account sums to nothing yet; a first `set` makes it sum to the new balance.
  const base = current ?? (await ledgerSum(m, accountId));
  const next = mode === 'set' ? amount : base + amount;
  if (next < 0) throw new Error('the balance cannot become negative');
  await m.query('UPDATE accounts SET balance_milli_cents = $2 WHERE id = $1', [accountId, next]);
  await ledger(m, accountId, null, mode, next - base, next, note);
  return next;
}

export async function ledgerSum(m: EntityManager, accountId: string): Promise<number> {
  const rows: Array<{ sum: string | null }> = await m.query('SELECT COALESCE(SUM(amount_milli_cents), 0) AS sum FROM credit_ledger WHERE account_id = $1', [accountId]);
  return Number(rows[0]?.sum ?? 0);
}
