import { randomBytes } from 'node:crypto';
import { AccountEntity, type DataSource, type EntityManager, type SecretBox, TrunkEntity } from '@parley/db';
import { newId } from '../http/ids';
import { ApiKeys } from './api-keys';

export interface AccountDefaults {
  rateMilliCentsPerMinute: number;
  billingIncrementSeconds: number;
  billingMinimumSeconds: number;
  sandboxHost: string;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Accounts for the admin CLI: each is born with an API key and its built-in `sandbox` trunk. The webhook secret is
 * stored sealed; `create` answers it in plaintext once, and `webhookSecret` opens it for the account's owner.
 */
export class Accounts {
  constructor(
    private readonly ds: DataSource,
    private readonly defaults: AccountDefaults,
    private readonly secrets: SecretBox,
  ) {}

  async create(name: string): Promise<{ account: AccountEntity; webhookSecret: string; apiKey: { id: string; key: string; prefix: string }; sandboxTrunkId: string }> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('account name must not be empty');
    const webhookSecret = newWebhookSecret();
    const { account, trunkId } = await this.ds.transaction(async (m) => {
      const account = m.create(AccountEntity, {
        id: newId.account(),
        name: trimmed,
        webhookSecret: this.secrets.seal(webhookSecret),
        rateMilliCentsPerMinute: this.defaults.rateMilliCentsPerMinute,
        billingIncrementSeconds: this.defaults.billingIncrementSeconds,
        billingMinimumSeconds: this.defaults.billingMinimumSeconds,
        balanceMilliCents: null,
      });
      await m.insert(AccountEntity, account);
      const trunkId = await this.createSandboxTrunk(m, account.id);
      return { account, trunkId };
    });
    const apiKey = await new ApiKeys(this.ds).create(account.id, 'default');
    return { account, webhookSecret, apiKey, sandboxTrunkId: trunkId };
  }

  private async createSandboxTrunk(m: EntityManager, accountId: string): Promise<string> {
    const id = newId.trunk();
    await m.insert(TrunkEntity, {
      id,
      accountId,
      name: 'sandbox',
      sandbox: true,
      host: this.defaults.sandboxHost,
      port: 5060,
      transport: 'udp',
      username: null,
      passwordEncrypted: null,
      fromDomain: null,
      codecs: ['g722', 'ulaw', 'alaw'],
      maxConcurrentCalls: 50,
      callsPerSecond: 20,
      register: false,
    });
    return id;
  }

  /** The account's webhook signing secret in plaintext. */
  webhookSecret(account: AccountEntity): string {
    return this.secrets.open(account.webhookSecret);
  }

  async get(id: string): Promise<AccountEntity | null> {
    return this.ds.getRepository(AccountEntity).findOneBy({ id });
  }

  async list(): Promise<AccountEntity[]> {
    return this.ds.getRepository(AccountEntity).find({ order: { createdAt: 'ASC' } });
  }
}
