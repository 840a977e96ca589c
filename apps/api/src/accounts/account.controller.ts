import { Controller, Get } from '@nestjs/common';
import { Account } from '@parley/common';
import { AccountId, ApiRoute } from '../http/api-route';
import { Accounts } from './accounts';

@Controller('v1/account')
export class AccountController {
  constructor(private readonly accounts: Accounts) {}

  @Get()
  @ApiRoute({ tag: 'Account', summary: "The key's account, with the secret that signs per-call webhooks", response: Account })
  get(@AccountId() accountId: string) {
    return this.accounts.view(accountId);
  }
}
