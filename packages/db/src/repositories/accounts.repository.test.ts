import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { AccountsRepository, type NewAccount } from './accounts.repository';
import { TrunksRepository } from './trunks.repository';
import { testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let accounts: AccountsRepository;

const account = (id: string): NewAccount => ({ id, name: `name of ${id}`, webhookSecret: 'sealed', rateMilliCentsPerMinute: 1000, billingIncrementSeconds: 6, billingMinimumSeconds: 30, balanceMilliCents: 5000 });

beforeAll(async () => {
  db = await createTestDatabase('parley_accounts');
  accounts = new AccountsRepository(db.dataSource);
});

afterAll(async () => {
  await db?.drop();
});

describe('AccountsRepository', () => {
  it('creates accounts, gets one and lists them oldest first', async () => {
    await accounts.create(account('acct_1'));
    await accounts.create(account('acct_2'));
    expect(await accounts.get('acct_1')).toMatchObject({ ...account('acct_1'), createdAt: expect.any(Date) });
    expect(await accounts.get('acct_none')).toBeNull();
    expect((await accounts.list()).map((a) => a.id)).toEqual(['acct_1', 'acct_2']);
  });

  it('sets the rate', async () => {
    await accounts.setRate('acct_1', { rateMilliCentsPerMinute: 250, billingIncrementSeconds: 1, billingMinimumSeconds: 0 });
    expect(await accounts.get('acct_1')).toMatchObject({ rateMilliCentsPerMinute: 250, billingIncrementSeconds: 1, billingMinimumSeconds: 0, balanceMilliCents: 5000 });
  });

  it('writes an account with its sandbox trunk, or neither', async () => {
    const sandbox = { ...(await testTrunk(db.dataSource, 'acct_1', 'trk_template', { sandbox: true, name: 'sandbox' })), id: 'trk_sandbox_3', accountId: 'acct_3' };
    await accounts.createWithSandboxTrunk(account('acct_3'), sandbox);
    expect(await new TrunksRepository(db.dataSource).get('acct_3', 'trk_sandbox_3')).toMatchObject({ sandbox: true, name: 'sandbox' });
    // The trunk's id is taken: the account is not written either.
    await expect(accounts.createWithSandboxTrunk(account('acct_4'), { ...sandbox, accountId: 'acct_4' })).rejects.toThrow();
    expect(await accounts.get('acct_4')).toBeNull();
  });
});
