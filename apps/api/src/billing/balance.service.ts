import { Injectable } from '@nestjs/common';
import type { Balance, LedgerEntry } from '@parley/common';
import { AccountsRepository, type CreditLedgerEntryEntity, CreditLedgerRepository } from '@parley/db';
import { ApiError } from '../http/api-error';
import { rateFor } from './credits';

/** An account's credit as the api shows it: the balance with what live calls hold, and the ledger of its movements. */
@Injectable()
export class BalanceService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly ledger: CreditLedgerRepository,
  ) {}

  async balance(accountId: string): Promise<Balance> {
    const account = await this.accounts.get(accountId);
    if (!account) throw new Error(`no such account: ${accountId}`);
    return {
      object: 'balance',
      balance_milli_cents: account.balanceMilliCents,
      reserved_milli_cents: await this.ledger.reservedByCalls(accountId),
      rate_milli_cents_per_minute: account.rateMilliCentsPerMinute,
      web_rate_milli_cents_per_minute: rateFor(account, 'web'),
      billing_increment_seconds: account.billingIncrementSeconds,
      billing_minimum_seconds: account.billingMinimumSeconds,
    };
  }

  async entries(accountId: string, page: { limit: number; starting_after?: string }): Promise<{ rows: LedgerEntry[]; hasMore: boolean }> {
    const after = page.starting_after;
    // Ledger ids are bigint: a larger number cannot be one, and Postgres would answer it with a 500.
    if (after && (!/^\d+$/.test(after) || BigInt(after) > 9223372036854775807n)) throw ApiError.invalid('starting_after must be a ledger entry id', 'starting_after');
    const found = await this.ledger.entries(accountId, { limit: page.limit, beforeId: after || null });
    return { rows: found.rows.map(ledgerEntryView), hasMore: found.hasMore };
  }
}

function ledgerEntryView(r: CreditLedgerEntryEntity): LedgerEntry {
  return {
    id: String(r.id),
    object: 'credit_ledger_entry',
    type: r.type,
    amount_milli_cents: r.amountMilliCents,
    balance_after_milli_cents: r.balanceAfterMilliCents,
    call_id: r.callId,
    note: r.note,
    created_at: r.createdAt.toISOString(),
  };
}
