import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { CreditLedgerRepository } from './credit-ledger.repository';
import { testAccount, testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ledger: CreditLedgerRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_ledger');
  ledger = new CreditLedgerRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_limited', { balanceMilliCents: 1000 });
  await testAccount(db.dataSource, 'acct_unlimited');
});

afterAll(async () => {
  await db?.drop();
});

const balanceOf = async (id: string) => (await ledger.lockBalance(id))?.balance;

describe('CreditLedgerRepository', () => {
  it('moves a limited balance, refusing to go below zero only when guarded', async () => {
    expect(await ledger.moveBalance('acct_limited', -600, true)).toEqual({ ok: true, limited: true, balance: 400 });
    expect(await ledger.moveBalance('acct_limited', -600, true)).toEqual({ ok: false, limited: true, balance: null });
    expect(await balanceOf('acct_limited')).toBe(400);
    expect(await ledger.moveBalance('acct_limited', -600, false)).toEqual({ ok: true, limited: true, balance: -200 });
    expect(await ledger.moveBalance('acct_limited', 1200, true)).toEqual({ ok: true, limited: true, balance: 1000 });
  });

  it('leaves an unlimited balance unlimited', async () => {
    expect(await ledger.moveBalance('acct_unlimited', -1_000_000, true)).toEqual({ ok: true, limited: false, balance: null });
    expect(await ledger.lockBalance('acct_unlimited')).toEqual({ balance: null });
    expect(await ledger.lockBalance('acct_none')).toBeNull();
  });

  it('records entries, sums them and pages them newest first', async () => {
    await testAccount(db.dataSource, 'acct_entries');
    await ledger.record({ accountId: 'acct_entries', callId: null, type: 'set', amount: 5000, balanceAfter: 5000, note: 'first' });
    await ledger.record({ accountId: 'acct_entries', callId: '00000000-0000-4000-8000-000000000001', type: 'reserve', amount: -300, balanceAfter: 4700 });
    await ledger.record({ accountId: 'acct_entries', callId: '00000000-0000-4000-8000-000000000001', type: 'release', amount: 300, balanceAfter: 5000 });
    expect(await ledger.sum('acct_entries')).toBe(5000);
    expect(await ledger.sum('acct_limited')).toBe(0);
    const first = await ledger.entries('acct_entries', { limit: 2, beforeId: null });
    expect(first.rows.map((e) => e.type)).toEqual(['release', 'reserve']);
    expect(first.rows[1]).toMatchObject({ amountMilliCents: -300, balanceAfterMilliCents: 4700, callId: '00000000-0000-4000-8000-000000000001', note: null });
    expect(first.hasMore).toBe(true);
    const second = await ledger.entries('acct_entries', { limit: 2, beforeId: first.rows[1]!.id });
    expect(second.rows.map((e) => [e.type, e.note])).toEqual([['set', 'first']]);
    expect(second.hasMore).toBe(false);
    expect((await ledger.entries('acct_limited', { limit: 10, beforeId: null })).rows).toEqual([]);
  });

  it('sums what the account calls hold while reserved', async () => {
    await testAccount(db.dataSource, 'acct_calls');
    await testTrunk(db.dataSource, 'acct_calls', 'trk_calls');
    const call = (reserved: number, status: string) =>
      db.dataSource.query(
        `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, from_number, to_number, prompt, language, max_duration_seconds, ring_timeout_seconds, reserved_milli_cents, reservation_status)
         VALUES (gen_random_uuid(), 'acct_calls', gen_random_uuid(), 'trk_calls', 'outbound', 'queued', '+1', '+2', '', 'en', 600, 30, $1, $2)`,
        [reserved, status],
      );
    expect(await ledger.reservedByCalls('acct_calls')).toBe(0);
    await call(700, 'reserved');
    await call(300, 'reserved');
    await call(5000, 'settled');
    expect(await ledger.reservedByCalls('acct_calls')).toBe(1000);
  });

  it('sets the balance inside one transaction that stands or falls as a whole', async () => {
    await expect(
      ledger.transaction(async (l) => {
        await l.lockBalance('acct_limited');
        await l.setBalance('acct_limited', 42);
        await l.record({ accountId: 'acct_limited', callId: null, type: 'set', amount: 42, balanceAfter: 42 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await balanceOf('acct_limited')).toBe(1000);
    expect(await ledger.sum('acct_limited')).toBe(0);
    await ledger.transaction((l) => l.setBalance('acct_limited', 42));
    expect(await balanceOf('acct_limited')).toBe(42);
  });
});
