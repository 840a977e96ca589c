import { Controller, Get } from '@nestjs/common';
import { Balance, LedgerEntry, listOf, Pagination } from '@parley/common';
import type { z } from 'zod';
import { AccountId, ApiRoute, ValidQuery } from '../http/api-route';
import { list } from '../http/pagination';
import { BalanceService } from './balance.service';

@Controller('v1')
export class BalanceController {
  constructor(private readonly credit: BalanceService) {}

  @Get('balance')
  @ApiRoute({ tag: 'Billing', summary: 'Credit balance, money held by live calls, and the rate', response: Balance })
  balance(@AccountId() accountId: string) {
    return this.credit.balance(accountId);
  }

  @Get('credit_ledger')
  @ApiRoute({ tag: 'Billing', summary: 'Every movement of the credit balance, newest first', query: Pagination, response: listOf(LedgerEntry) })
  async ledger(@AccountId() accountId: string, @ValidQuery() q: z.infer<typeof Pagination>) {
    const page = await this.credit.entries(accountId, q);
    return list(page.rows, page.hasMore);
  }
}
