import { Controller, Get, Inject } from '@nestjs/common';
import { AccountEntity, type DataSource, SecretBox } from '@parley/db';
import { DATA_SOURCE } from '@parley/service-kit';
import { z } from 'zod';
import { AccountId, ApiRoute } from '../http/api-route';

export const Account = z.object({
  id: z.string(),
  object: z.literal('account'),
  name: z.string(),
  webhook_secret: z.string().describe('signs webhooks sent to per-call and agent webhook_url (Standard Webhooks, whsec_...)'),
  created_at: z.string(),
});

@Controller('v1/account')
export class AccountController {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly secrets: SecretBox,
  ) {}

  @Get()
  @ApiRoute({ tag: 'Account', summary: "The key's account, with the secret that signs per-call webhooks", response: Account })
  async get(@AccountId() accountId: string) {
    const a = await this.ds.getRepository(AccountEntity).findOneByOrFail({ id: accountId });
    return { id: a.id, object: 'account' as const, name: a.name, webhook_secret: this.secrets.open(a.webhookSecret), created_at: a.createdAt.toISOString() };
  }
}
