import { randomBytes } from 'node:crypto';
import type { Account } from '@parley/common';
import { type AccountEntity, type AccountRate, AccountsRepository, type NewAccount, type NewTrunk, type Queryable, type SecretBox } from '@parley/db';
import type { ApiConfig } from '../config';
import { newId } from '../http/ids';
import { ApiKeys } from './api-keys';

export interface AccountDefaults {
  rateMilliCentsPerMinute: number;
  billingIncrementSeconds: number;
  billingMinimumSeconds: number;
  sandboxHost: string;
}

export function accountDefaults(config: ApiConfig): AccountDefaults {
  return {
    rateMilliCentsPerMinute: config.DEFAULT_RATE_MILLI_CENTS_PER_MINUTE,
    billingIncrementSeconds: config.DEFAULT_BILLING_INCREMENT_SECONDS,
    billingMinimumSeconds: config.DEFAULT_BILLING_MINIMUM_SECONDS,
    sandboxHost: config.SANDBOX_TRUNK_HOST,
  };
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Accounts, made by the admin CLI: each is born with an API key and its built-in `sandbox` trunk. The webhook secret is
 * stored sealed; `create` answers it in plaintext once, and `webhookSecret` opens it for the account's owner.
 */
export class Accounts {
  private readonly accounts: AccountsRepository;
  private readonly apiKeys: ApiKeys;

  constructor(
    db: Queryable,
    private readonly defaults: AccountDefaults,
    private readonly secrets: SecretBox,
  ) {
    this.accounts = new AccountsRepository(db);
    this.apiKeys = new ApiKeys(db);
  }

  async create(name: string): Promise<{ account: NewAccount; webhookSecret: string; apiKey: { id: string; key: string; prefix: string }; sandboxTrunkId: string }> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('account name must not be empty');
    const webhookSecret = newWebhookSecret();
    const account: NewAccount = {
      id: newId.account(),
      name: trimmed,
      webhookSecret: this.secrets.seal(webhookSecret),
      rateMilliCentsPerMinute: this.defaults.rateMilliCentsPerMinute,
      billingIncrementSeconds: this.defaults.billingIncrementSeconds,
      billingMinimumSeconds: this.defaults.billingMinimumSeconds,
      balanceMilliCents: null,
    };
    const sandbox = this.sandboxTrunk(account.id);
    await this.accounts.createWithSandboxTrunk(account, sandbox);
    const apiKey = await this.apiKeys.create(account.id, 'default');
    return { account, webhookSecret, apiKey, sandboxTrunkId: sandbox.id };
  }

  private sandboxTrunk(accountId: string): NewTrunk {
    return {
      id: newId.trunk(),
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
    };
  }

  /** The account's webhook signing secret in plaintext. */
  webhookSecret(account: AccountEntity): string {
    return this.secrets.open(account.webhookSecret);
  }

  get(id: string): Promise<AccountEntity | null> {
    return this.accounts.get(id);
  }

  list(): Promise<AccountEntity[]> {
    return this.accounts.list();
  }

  setRate(id: string, rate: AccountRate): Promise<void> {
    return this.accounts.setRate(id, rate);
  }

  setWebRate(id: string, rate: number | null): Promise<void> {
    return this.accounts.setWebRate(id, rate);
  }

  /** The account as its API key sees it (`GET /v1/account`). */
  async view(id: string): Promise<Account> {
    const a = await this.accounts.get(id);
    if (!a) throw new Error(`no such account: ${id}`);
    return { id: a.id, object: 'account', name: a.name, webhook_secret: this.webhookSecret(a), created_at: a.createdAt.toISOString() };
  }
}
