import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { DoNotCallRepository } from './do-not-call.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let list: DoNotCallRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_do_not_call');
  list = new DoNotCallRepository(db.dataSource);
});

afterAll(async () => {
  await db?.drop();
});

describe('DoNotCallRepository', () => {
  it('adds once per account (the first reason stays), answers which numbers are listed, and removes', async () => {
    expect(await list.add('acct_a', '+15550001001', 'asked')).toBe(true);
    expect(await list.add('acct_a', '+15550001001', 'again')).toBe(false);
    expect((await list.get('acct_a', '+15550001001'))?.reason).toBe('asked');
    expect(await list.addMany('acct_a', [{ number: '+15550001001', reason: null }, { number: '+15550001002', reason: null }, { number: '+15550001003', reason: 'r' }])).toBe(2);
    expect(await list.listed('acct_a', '+15550001002')).toBe(true);
    expect(await list.listed('acct_b', '+15550001002')).toBe(false);
    expect([...(await list.listedAmong('acct_a', ['+15550001003', '+15550009999']))]).toEqual(['+15550001003']);
    expect(await list.remove('acct_b', '+15550001002')).toBe(false);
    expect(await list.remove('acct_a', '+15550001002')).toBe(true);
    expect(await list.remove('acct_a', '+15550001002')).toBe(false);
    expect(await list.listed('acct_a', '+15550001002')).toBe(false);
  });

  it('pages newest first on (created_at, number), neither skipping nor repeating numbers added in the same instant', async () => {
    await list.addMany('acct_p', Array.from({ length: 5 }, (_, i) => ({ number: `+1555000200${i}`, reason: null })));
    const seen: string[] = [];
    let after = null;
    for (;;) {
      const page = await list.list('acct_p', { limit: 2, after });
      seen.push(...page.rows.map((r) => r.number));
      if (!page.hasMore) break;
      after = await list.cursor('acct_p', page.rows.at(-1)!.number);
    }
    expect(seen).toEqual(['+15550002004', '+15550002003', '+15550002002', '+15550002001', '+15550002000']);
    expect(await list.cursor('acct_p', '+19999999999')).toBeNull();
  });
});
