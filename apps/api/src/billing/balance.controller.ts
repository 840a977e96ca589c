import { Controller, Get, Inject } from '@nestjs/common';
import { listOf, Pagination } from '@parley/common';
import { AccountEntity, CreditLedgerEntryEntity, type DataSource } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import { z } from 'zod';
import { AccountId, ApiRoute, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { ApiError } from '../http/api-error';

export const Balance = z.object({
  object: z.literal('balance'),
  balance_milli_cents: z.number().int().nullable().describe('null = unlimited'),
  reserved_milli_cents: z.number().int(),
  rate_milli_cents_per_minute: z.number().int(),
  billing_increment_seconds: z.number().int(),
  billing_minimum_seconds: z.number().int(),
});

export const LedgerEntry = z.object({
  id: z.string(),
  object: z.literal('credit_ledger_entry'),
  type: z.enum(['set', 'add', 'reserve', 'release', 'charge']),
  amount_milli_cents: z.number().int(),
  balance_after_milli_cents: z.number().int(),
  call_id: z.string().nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
});

@Controller('v1')
export class BalanceController {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  @Get('balance')
  @ApiRoute({ tag: 'Billing', summary: 'Credit balance, money held by live calls, and the rate', response: Balance })
  async balance(@AccountId() accountId: string) {
    const account = await this.ds.getRepository(AccountEntity).findOneByOrFail({ id: accountId });
    const rows: Array<{ sum: string | null }> = await this.ds.query(`SELECT COALESCE(SUM(reserved_milli_cents), 0) AS sum FROM calls WHERE account_id = $1 AND reservation_status = 'reserved'`, [accountId]);
    return {
      object: 'balance' as const,
      balance_milli_cents: account.balanceMilliCents,
      reserved_milli_cents: Number(rows[0]?.sum ?? 0),
      rate_milli_cents_per_minute: account.rateMilliCentsPerMinute,
      billing_increment_seconds: account.billingIncrementSeconds,
      billing_minimum_seconds: account.billingMinimumSeconds,
    };
  }

  @Get('credit_ledger')
  @ApiRoute({ tag: 'Billing', summary: 'Every movement of the credit balance, newest first', query: Pagination, response: listOf(LedgerEntry) })
  async ledger(@AccountId() accountId: string, @ValidQuery() q: z.infer<typeof Pagination>) {
    const qb = this.ds.getRepository(CreditLedgerEntryEntity).createQueryBuilder('l').where('l.account_id = :accountId', { accountId });
    if (q.starting_after) {
      // Ledger ids are bigint: a larger number cannot be one, and Postgres would answer it with a 500.
      if (!/^\d+$/.test(q.starting_after) || BigInt(q.starting_after) > 9223372036854775807n) throw ApiError.invalid('starting_after must be a ledger entry id', 'starting_after');
      qb.andWhere('l.id < :after', { after: q.starting_after });
    }
    const rows = await qb.orderBy('l.id', 'DESC').take(q.limit + 1).getMany();
    return list(
      rows.slice(0, q.limit).map((r) => ({
        id: String(r.id),
        object: 'credit_ledger_entry' as const,
        type: r.type,
        amount_milli_cents: r.amountMilliCents,
        balance_after_milli_cents: r.balanceAfterMilliCents,
        call_id: r.callId,
        note: r.note,
        created_at: r.createdAt.toISOString(),
      })),
      rows.length > q.limit,
    );
  }
}
