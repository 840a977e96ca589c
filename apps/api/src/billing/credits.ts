import { type CallChannel, ErrorCodes } from '@parley/common';
import { type AccountEntity, type CallEntity, CreditLedgerRepository, type Queryable } from '@parley/db';
import { ApiError } from '../http/api-error';
import { amountMilliCents, billedSeconds } from './billing-math';

/**
 * The reservation for a new call: the agent's max duration at the account's rate, taken from the balance in the
 * caller's transaction (so the call row and the reservation stand or fall together). Unlimited accounts reserve 0.
 */
export type AccountBilling = Pick<AccountEntity, 'id' | 'balanceMilliCents' | 'rateMilliCentsPerMinute' | 'billingIncrementSeconds' | 'billingMinimumSeconds'> &
  Partial<Pick<AccountEntity, 'webRateMilliCentsPerMinute'>>;

/** The account's per-minute rate for a call on `channel`: web calls have their own when the account sets one. */
export function rateFor(account: AccountBilling, channel: CallChannel): number {
  return channel === 'web' ? (account.webRateMilliCentsPerMinute ?? account.rateMilliCentsPerMinute) : account.rateMilliCentsPerMinute;
}

export async function reserveForCall(m: Queryable, account: AccountBilling, callId: string, maxDurationSeconds: number, channel: CallChannel = 'phone'): Promise<number> {
  const want = amountMilliCents(billedSeconds(maxDurationSeconds * 1000, account.billingIncrementSeconds, account.billingMinimumSeconds), rateFor(account, channel));
  // Unlimited accounts hold nothing, and skipping the update keeps their calls off the account row's lock.
  if (want === 0 || account.balanceMilliCents === null) return 0;
  const ledger = new CreditLedgerRepository(m);
  const moved = await ledger.moveBalance(account.id, -want, true);
  if (!moved.ok) {
    throw new ApiError(402, ErrorCodes.insufficientCredit, `Insufficient credit: this call needs a reservation of ${want} milli-cents (max_duration_seconds at the account rate)`, null);
  }
  if (!moved.limited) return 0;
  await ledger.record({ accountId: account.id, callId, type: 'reserve', amount: -want, balanceAfter: moved.balance! });
  return want;
}

/** Settles a terminal call: releases its reservation and charges the actual amount (or only releases if never connected). */
export async function settleCall(m: Queryable, call: CallEntity, account: AccountBilling, billed: number): Promise<{ amount: number; status: 'settled' | 'released' }> {
  const ledger = new CreditLedgerRepository(m);
  const amount = amountMilliCents(billed, rateFor(account, call.channel));
  const reserved = call.reservedMilliCents ?? 0;
  if (reserved > 0) {
    const r = await ledger.moveBalance(account.id, reserved, false);
    if (r.limited) await ledger.record({ accountId: account.id, callId: call.id, type: 'release', amount: reserved, balanceAfter: r.balance! });
  }
  if (amount > 0) {
    const c = await ledger.moveBalance(account.id, -amount, false);
    if (c.limited) await ledger.record({ accountId: account.id, callId: call.id, type: 'charge', amount: -amount, balanceAfter: c.balance! });
  }
  return { amount, status: billed > 0 ? 'settled' : 'released' };
}

/**
 * Admin: set the balance to an absolute amount (an unlimited account becomes limited), or add to it. Runs in its own
 * transaction, or in the caller's when `db` is one.
 */
export function setCredits(db: Queryable, accountId: string, amount: number, mode: 'set' | 'add', note: string | null = null): Promise<number> {
  return new CreditLedgerRepository(db).transaction(async (ledger) => {
    const locked = await ledger.lockBalance(accountId);
    if (!locked) throw new Error(`no such account: ${accountId}`);
    // The ledger of an unlimited account sums to nothing yet; a first `set` makes it sum to the new balance.
    const base = locked.balance ?? (await ledger.sum(accountId));
    const next = mode === 'set' ? amount : base + amount;
    if (next < 0) throw new Error('the balance cannot become negative');
    await ledger.setBalance(accountId, next);
    await ledger.record({ accountId, callId: null, type: mode, amount: next - base, balanceAfter: next, note });
    return next;
  });
}
