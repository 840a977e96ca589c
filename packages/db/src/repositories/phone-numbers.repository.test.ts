import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { PhoneNumbersRepository } from './phone-numbers.repository';
import { testAccount, testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let numbers: PhoneNumbersRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_numbers');
  numbers = new PhoneNumbersRepository(db.dataSource);
  for (const a of ['acct_a', 'acct_b']) await testAccount(db.dataSource, a);
  await testTrunk(db.dataSource, 'acct_a', 'trk_a1');
  await testTrunk(db.dataSource, 'acct_a', 'trk_a2');
  await testTrunk(db.dataSource, 'acct_a', 'trk_a_sandbox', { sandbox: true });
  await testTrunk(db.dataSource, 'acct_b', 'trk_b1');
  await testTrunk(db.dataSource, 'acct_b', 'trk_b_sandbox', { sandbox: true });
});

afterAll(async () => {
  await db?.drop();
});

describe('PhoneNumbersRepository', () => {
  it('holds a number once per trunk, and on several trunks', async () => {
    expect(await numbers.insert({ id: 'pn_1', accountId: 'acct_a', number: '+15550001', trunkId: 'trk_a1', label: 'main' })).toBe(true);
    expect(await numbers.insert({ id: 'pn_1b', accountId: 'acct_a', number: '+15550001', trunkId: 'trk_a1', label: null })).toBe(false);
    expect(await numbers.insert({ id: 'pn_2', accountId: 'acct_a', number: '+15550001', trunkId: 'trk_a2', label: null })).toBe(true);
    expect(await numbers.insert({ id: 'pn_3', accountId: 'acct_b', number: '+15550001', trunkId: 'trk_b1', label: null })).toBe(true);
    expect(await numbers.get('acct_a', 'pn_1')).toMatchObject({ number: '+15550001', trunkId: 'trk_a1', label: 'main' });
    expect(await numbers.get('acct_b', 'pn_1')).toBeNull();
    expect(await numbers.countOnTrunk('trk_a1')).toBe(1);
    expect(await numbers.onTrunk('trk_a2', '+15550001')).toMatchObject({ id: 'pn_2' });
    expect(await numbers.onTrunk('trk_a2', '+15559999')).toBeNull();
  });

  it('refuses to move a number onto a trunk that holds it', async () => {
    expect(await numbers.update('acct_a', 'pn_2', { trunkId: 'trk_a1' })).toBe(false);
    expect(await numbers.update('acct_a', 'pn_2', { label: 'second' })).toBe(true);
    expect(await numbers.get('acct_a', 'pn_2')).toMatchObject({ trunkId: 'trk_a2', label: 'second' });
  });

  it('finds the one holder of a number among trunks of a kind, never a guess among several', async () => {
    expect(await numbers.onlyHolder('+15550001')).toBeNull();
    await numbers.insert({ id: 'pn_s1', accountId: 'acct_a', number: '+15550002', trunkId: 'trk_a_sandbox', label: null });
    await numbers.insert({ id: 'pn_c1', accountId: 'acct_b', number: '+15550002', trunkId: 'trk_b1', label: null });
    expect(await numbers.onlyHolder('+15550002', { sandbox: true })).toMatchObject({ id: 'pn_s1' });
    expect(await numbers.onlyHolder('+15550002', { sandbox: false })).toMatchObject({ id: 'pn_c1' });
    expect(await numbers.onlyHolder('+15550002')).toBeNull();
    await numbers.insert({ id: 'pn_s2', accountId: 'acct_b', number: '+15550002', trunkId: 'trk_b_sandbox', label: null });
    expect(await numbers.onlyHolder('+15550002', { sandbox: true })).toBeNull();
  });

  it('tells which ids are numbers of the account', async () => {
    expect(await numbers.existingIds('acct_a', ['pn_1', 'pn_3', 'pn_none'])).toEqual(new Set(['pn_1']));
  });

  it('lists an account newest first, page by page, and deletes within the account', async () => {
    await testAccount(db.dataSource, 'acct_list');
    await testTrunk(db.dataSource, 'acct_list', 'trk_list');
    for (const n of [1, 2, 3]) await numbers.insert({ id: `pn_l${n}`, accountId: 'acct_list', number: `+1555100${n}`, trunkId: 'trk_list', label: null });
    const first = await numbers.list('acct_list', { limit: 2, after: null });
    expect(first.rows.map((n) => n.id)).toEqual(['pn_l3', 'pn_l2']);
    expect(first.hasMore).toBe(true);
    expect(await numbers.list('acct_list', { limit: 2, after: await numbers.cursor('acct_list', 'pn_l2') })).toMatchObject({ rows: [{ id: 'pn_l1' }], hasMore: false });
    expect(await numbers.cursor('acct_list', 'pn_1')).toBeNull();
    await numbers.delete('acct_a', 'pn_l1');
    expect(await numbers.get('acct_list', 'pn_l1')).not.toBeNull();
    await numbers.delete('acct_list', 'pn_l1');
    expect(await numbers.get('acct_list', 'pn_l1')).toBeNull();
  });
});
