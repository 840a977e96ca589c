import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { testAccount, testTrunk } from './test-rows';
import { TrunksRepository } from './trunks.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let trunks: TrunksRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_trunks');
  trunks = new TrunksRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_a');
  await testAccount(db.dataSource, 'acct_b');
});

afterAll(async () => {
  await db?.drop();
});

describe('TrunksRepository', () => {
  it('creates a trunk and finds it only in its own account', async () => {
    const t = await testTrunk(db.dataSource, 'acct_a', 'trk_one', { name: 'one', codecs: ['g722', 'ulaw'], callsPerSecond: 2.5 });
    expect(t).toMatchObject({ id: 'trk_one', accountId: 'acct_a', name: 'one', codecs: ['g722', 'ulaw'], callsPerSecond: 2.5 });
    expect(t.createdAt).toBeInstanceOf(Date);
    expect(await trunks.get('acct_a', 'trk_one')).toMatchObject({ id: 'trk_one' });
    expect(await trunks.get('acct_b', 'trk_one')).toBeNull();
    expect(await trunks.exists('acct_a', 'trk_one')).toBe(true);
    expect(await trunks.exists('acct_b', 'trk_one')).toBe(false);
  });

  it('answers null or false when a name is taken in the account, not in another', async () => {
    await testTrunk(db.dataSource, 'acct_a', 'trk_named', { name: 'named' });
    const again = { ...(await trunks.get('acct_a', 'trk_named'))!, id: 'trk_named2' };
    expect(await trunks.create(again)).toBeNull();
    expect(await trunks.create({ ...again, accountId: 'acct_b' })).toMatchObject({ id: 'trk_named2', accountId: 'acct_b' });
    expect(await trunks.update('acct_a', 'trk_one', { name: 'named' })).toBe(false);
    expect(await trunks.update('acct_a', 'trk_one', { name: 'renamed', port: 5080 })).toBe(true);
    expect(await trunks.get('acct_a', 'trk_one')).toMatchObject({ name: 'renamed', port: 5080 });
  });

  it('updates and deletes only within the account', async () => {
    await testTrunk(db.dataSource, 'acct_a', 'trk_gone');
    expect(await trunks.update('acct_b', 'trk_gone', { host: 'other' })).toBe(true);
    await trunks.delete('acct_b', 'trk_gone');
    expect(await trunks.get('acct_a', 'trk_gone')).toMatchObject({ host: 'sip.example.com' });
    await trunks.delete('acct_a', 'trk_gone');
    expect(await trunks.get('acct_a', 'trk_gone')).toBeNull();
  });

  it('lists an account newest first, page by page', async () => {
    await testAccount(db.dataSource, 'acct_list');
    for (const n of [1, 2, 3]) await testTrunk(db.dataSource, 'acct_list', `trk_l${n}`);
    const first = await trunks.list('acct_list', { limit: 2, after: null });
    expect(first.rows.map((t) => t.id)).toEqual(['trk_l3', 'trk_l2']);
    expect(first.hasMore).toBe(true);
    const second = await trunks.list('acct_list', { limit: 2, after: await trunks.cursor('acct_list', 'trk_l2') });
    expect(second.rows.map((t) => t.id)).toEqual(['trk_l1']);
    expect(second.hasMore).toBe(false);
    expect(await trunks.cursor('acct_list', 'trk_one')).toBeNull();
  });

  it('gives the dialer the customer trunks, never the sandbox ones', async () => {
    await testAccount(db.dataSource, 'acct_d');
    await testTrunk(db.dataSource, 'acct_d', 'trk_sandbox', { sandbox: true, host: '127.0.0.1' });
    await testTrunk(db.dataSource, 'acct_d', 'trk_customer', { port: 5070 });
    expect((await trunks.customerTrunks({ accountId: 'acct_d' })).map((t) => t.id)).toEqual(['trk_customer']);
    expect((await trunks.customerTrunks({ trunkId: 'trk_sandbox' })).length).toBe(0);
    expect((await trunks.customerTrunks()).map((t) => t.id)).toContain('trk_one');
    expect(await trunks.isCustomerTrunk('trk_customer')).toBe(true);
    expect(await trunks.isCustomerTrunk('trk_sandbox')).toBe(false);
    expect(await trunks.address('trk_customer')).toEqual({ id: 'trk_customer', sandbox: false, host: 'sip.example.com', port: 5070 });
    expect(await trunks.address('trk_sandbox')).toEqual({ id: 'trk_sandbox', sandbox: true, host: '127.0.0.1', port: 5060 });
    expect(await trunks.address('trk_none')).toBeNull();
    expect(await trunks.forDialing('trk_customer')).toEqual({ id: 'trk_customer', accountId: 'acct_d', sandbox: false, asterisks: [], maxConcurrentCalls: 5, callsPerSecond: 1 });
    expect(await trunks.forDialing('trk_none')).toBeNull();
  });

  it('works inside a transaction through with(manager)', async () => {
    await expect(
      db.dataSource.transaction(async (m) => {
        await testTrunk(m, 'acct_a', 'trk_rolled_back');
        expect(await trunks.with(m).exists('acct_a', 'trk_rolled_back')).toBe(true);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await trunks.exists('acct_a', 'trk_rolled_back')).toBe(false);
  });
});
