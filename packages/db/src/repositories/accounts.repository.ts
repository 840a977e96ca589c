import { AccountEntity } from '../entities/account.entity';
import { DbRepository } from './db-repository';
import { type NewTrunk, TrunksRepository } from './trunks.repository';

/** An account as written: everything but the creation time Postgres sets. */
/** A new account; without a web rate its web calls are billed at its phone rate. */
export type NewAccount = Omit<AccountEntity, 'createdAt' | 'webRateMilliCentsPerMinute'> & { webRateMilliCentsPerMinute?: number | null };

/** What an account is charged: per minute, rounded up to the increment, never less than the minimum. */
export type AccountRate = Pick<AccountEntity, 'rateMilliCentsPerMinute' | 'billingIncrementSeconds' | 'billingMinimumSeconds'>;

/** Accounts (their API keys and credit ledger have repositories of their own). */
export class AccountsRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(AccountEntity);
  }

  async create(account: NewAccount): Promise<void> {
    await this.repo.insert(account);
  }

  /** An account and its built-in sandbox trunk, written together or not at all. */
  createWithSandboxTrunk(account: NewAccount, sandbox: NewTrunk): Promise<void> {
    return this.db.transaction(async (m) => {
      await this.with(m).create(account);
      if (!(await new TrunksRepository(m).create(sandbox))) throw new Error(`account ${account.id} already has a trunk named '${sandbox.name}'`);
    });
  }

  get(id: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Oldest first, as the admin CLI lists them. */
  list(): Promise<AccountEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async setRate(id: string, rate: AccountRate): Promise<void> {
    await this.repo.update({ id }, rate);
  }

  /** Web calls' own rate; null bills them at the phone rate. */
  async setWebRate(id: string, rate: number | null): Promise<void> {
    await this.repo.update({ id }, { webRateMilliCentsPerMinute: rate });
  }
}
