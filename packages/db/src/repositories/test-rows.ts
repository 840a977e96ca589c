import type { AccountEntity } from '../entities/account.entity';
import type { TrunkEntity } from '../entities/trunk.entity';
import type { Queryable } from './db-repository';
import { AccountsRepository, type NewAccount } from './accounts.repository';
import { type NewTrunk, TrunksRepository } from './trunks.repository';

/** Rows the repository tests build on: an account and a trunk with plausible values, overridable field by field. */
export async function testAccount(db: Queryable, id: string, fields: Partial<NewAccount> = {}): Promise<AccountEntity> {
  const accounts = new AccountsRepository(db);
  await accounts.create({ id, name: id, webhookSecret: 'sealed', rateMilliCentsPerMinute: 1000, billingIncrementSeconds: 1, billingMinimumSeconds: 0, balanceMilliCents: null, ...fields });
  return (await accounts.get(id))!;
}

export async function testTrunk(db: Queryable, accountId: string, id: string, fields: Partial<NewTrunk> = {}): Promise<TrunkEntity> {
  const trunk = await new TrunksRepository(db).create({
    id,
    accountId,
    name: id,
    sandbox: false,
    host: 'sip.example.com',
    port: 5060,
    transport: 'udp',
    username: null,
    passwordEncrypted: null,
    fromDomain: null,
    codecs: ['ulaw'],
    maxConcurrentCalls: 5,
    callsPerSecond: 1,
    register: false,
    ...fields,
  });
  if (!trunk) throw new Error(`trunk name ${fields.name ?? id} taken`);
  return trunk;
}
