import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountEntity } from '../entities/account.entity';
import { createTestDatabase } from '../test-database';
import { OutboxRepository } from './outbox.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let outbox: OutboxRepository;

const entry = (n: number) => ({ subject: `calls.x.${n}`, msgId: `m${n}-${randomUUID()}`, payload: { n, nested: { list: [1, 'two'] } } });
const account = (id: string): AccountEntity => ({ id, name: id, webhookSecret: 's', rateMilliCentsPerMinute: 1000, webRateMilliCentsPerMinute: null, billingIncrementSeconds: 6, billingMinimumSeconds: 0, balanceMilliCents: 250, createdAt: new Date('2026-01-01T00:00:00Z') });

async function stored(ids: string[]) {
  return (await outbox.unpublished(0, 1000)).filter((r) => ids.includes(r.id));
}

beforeAll(async () => {
  db = await createTestDatabase('parley_outbox');
  outbox = new OutboxRepository(db.dataSource);
});

afterAll(async () => {
  await db?.drop();
});

describe('OutboxRepository', () => {
  it('adds messages, lists the unpublished ones oldest first, and removes published ones', async () => {
    expect(await outbox.add([])).toEqual([]);
    const written = await outbox.add([entry(1), entry(2)]);
    expect(written.map((w) => w.subject)).toEqual(['calls.x.1', 'calls.x.2']);
    const ids = written.map((w) => w.id);
    const rows = await stored(ids);
    expect(rows.map((r) => [r.id, r.subject, r.msgId, r.payload])).toEqual(written.map((w) => [w.id, w.subject, w.msgId, w.payload]));
    expect((await outbox.unpublished(60_000, 1000)).filter((r) => ids.includes(r.id))).toEqual([]);
    expect(await outbox.unpublished(0, 1)).toHaveLength(1);
    await outbox.remove([ids[0]!]);
    expect((await stored(ids)).map((r) => r.id)).toEqual([ids[1]]);
  });

  it('writes a row and its messages in one statement: both or neither', async () => {
    const written = await outbox.addWithRow(AccountEntity, account('acct_o'), [entry(3), entry(4)]);
    expect(written).toHaveLength(2);
    expect(await db.dataSource.getRepository(AccountEntity).findOneBy({ id: 'acct_o' })).toMatchObject({ name: 'acct_o', balanceMilliCents: 250, billingIncrementSeconds: 6 });
    expect((await stored(written.map((w) => w.id))).map((r) => r.payload)).toEqual([entry(3).payload, entry(4).payload]);

    const before = (await outbox.unpublished(0, 1000)).length;
    await expect(outbox.addWithRow(AccountEntity, account('acct_o'), [entry(5)])).rejects.toThrow(/duplicate key/);
    expect((await outbox.unpublished(0, 1000)).length).toBe(before);
  });

  it('joins the caller’s transaction', async () => {
    const before = (await outbox.unpublished(0, 1000)).length;
    await expect(
      db.dataSource.transaction(async (m) => {
        await outbox.with(m).add([entry(6)]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await outbox.unpublished(0, 1000)).length).toBe(before);
  });
});
