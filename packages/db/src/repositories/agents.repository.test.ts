import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { type NewAgent, AgentsRepository } from './agents.repository';
import { PhoneNumbersRepository } from './phone-numbers.repository';
import { testAccount, testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let agents: AgentsRepository;

function agent(accountId: string, fields: Partial<NewAgent> = {}): NewAgent {
  return {
    id: randomUUID(),
    accountId,
    name: 'a',
    type: 'inbound',
    persona: null,
    instructions: null,
    voice: null,
    language: 'en',
    returns: null,
    tools: [{ type: 'end_call' }],
    voicemailAction: 'hangup',
    voicemailMessage: null,
    initialGreeting: null,
    webhookUrl: null,
    numberIds: [],
    primaryNumberId: null,
    maxDurationSeconds: 600,
    ringTimeoutSeconds: 30,
    llm: {},
    conversation: { mode: 'hosted' },
    ...fields,
  };
}

beforeAll(async () => {
  db = await createTestDatabase('parley_agents');
  agents = new AgentsRepository(db.dataSource);
  for (const a of ['acct_a', 'acct_b']) await testAccount(db.dataSource, a);
  await testTrunk(db.dataSource, 'acct_a', 'trk_a');
  const numbers = new PhoneNumbersRepository(db.dataSource);
  for (const n of [1, 2, 3]) await numbers.insert({ id: `pn_${n}`, accountId: 'acct_a', number: `+1555000${n}`, trunkId: 'trk_a', label: null });
});

afterAll(async () => {
  await db?.drop();
});

describe('AgentsRepository', () => {
  it('stores an agent as given and finds it only in its own account', async () => {
    const a = agent('acct_a', { name: 'support', returns: { ok: 'boolean' }, llm: { model: 'm' }, numberIds: ['pn_1'], primaryNumberId: 'pn_1' });
    await agents.insert(a);
    expect(await agents.get('acct_a', a.id)).toMatchObject({ ...a, createdAt: expect.any(Date) });
    expect(await agents.get('acct_b', a.id)).toBeNull();
    await agents.update('acct_b', a.id, { name: 'taken over' });
    await agents.update('acct_a', a.id, { name: 'renamed', tools: [] });
    expect(await agents.get('acct_a', a.id)).toMatchObject({ name: 'renamed', tools: [] });
    await agents.delete('acct_b', a.id);
    expect(await agents.get('acct_a', a.id)).not.toBeNull();
    await agents.delete('acct_a', a.id);
    expect(await agents.get('acct_a', a.id)).toBeNull();
  });

  it('tells which agents hold which numbers, and an inbound agent already answering one', async () => {
    const inbound = agent('acct_a', { numberIds: ['pn_2'] });
    const outbound = agent('acct_a', { type: 'outbound', numberIds: ['pn_2', 'pn_3'] });
    await agents.insert(inbound);
    await agents.insert(outbound);
    expect(await agents.idsByNumber('acct_a', ['pn_2', 'pn_3', 'pn_1'])).toEqual(
      new Map([
        ['pn_2', [inbound.id, outbound.id]],
        ['pn_3', [outbound.id]],
      ]),
    );
    expect(await agents.idsByNumber('acct_b', ['pn_2'])).toEqual(new Map());
    expect(await agents.inboundHolder('acct_a', ['pn_3', 'pn_2'], null)).toEqual({ agentId: inbound.id, numberId: 'pn_2' });
    expect(await agents.inboundHolder('acct_a', ['pn_2'], inbound.id)).toBeNull();
    expect(await agents.inboundHolder('acct_a', ['pn_3'], null)).toBeNull();
  });

  it('counts the calls of an agent that have not ended', async () => {
    const a = agent('acct_a');
    await agents.insert(a);
    const call = (status: string) =>
      db.dataSource.query(`INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, from_number, to_number, prompt, language, max_duration_seconds, ring_timeout_seconds)
         VALUES (gen_random_uuid(), 'acct_a', $1, 'trk_a', 'outbound', $2, '+1', '+2', '', 'en', 600, 30)`, [a.id, status]);
    for (const status of ['queued', 'ringing', 'in_progress', 'completed', 'failed']) await call(status);
    expect(await agents.liveCallCount('acct_a', a.id)).toBe(3);
    expect(await agents.liveCallCount('acct_b', a.id)).toBe(0);
  });

  it('lists newest first, page by page', async () => {
    await testAccount(db.dataSource, 'acct_list');
    const made = [agent('acct_list'), agent('acct_list'), agent('acct_list')];
    for (const a of made) await agents.insert(a);
    const first = await agents.list('acct_list', { limit: 2, after: null });
    expect(first.rows.map((a) => a.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(first.hasMore).toBe(true);
    expect(await agents.list('acct_list', { limit: 2, after: await agents.cursor('acct_list', made[1]!.id) })).toMatchObject({ rows: [{ id: made[0]!.id }], hasMore: false });
    expect(await agents.cursor('acct_a', made[0]!.id)).toBeNull();
  });

  it('pages agents made in the same instant (one transaction, one now()) without skipping any', async () => {
    await testAccount(db.dataSource, 'acct_same');
    const made = Array.from({ length: 5 }, () => agent('acct_same'));
    await db.dataSource.transaction(async (m) => {
      for (const a of made) await agents.with(m).insert(a);
    });
    const seen: string[] = [];
    let after = null;
    for (;;) {
      const page = await agents.list('acct_same', { limit: 2, after });
      seen.push(...page.rows.map((a) => a.id));
      if (!page.hasMore) break;
      after = await agents.cursor('acct_same', page.rows.at(-1)!.id);
    }
    expect(seen.sort()).toEqual(made.map((a) => a.id).sort());
  });

  it('serializes the writes of one account', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = agents.serialized('acct_a', async () => {
      order.push('first in');
      await held;
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = agents.serialized('acct_a', async () => void order.push('second'));
    const other = agents.serialized('acct_b', async () => void order.push('other account'));
    await other;
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'other account', 'first out', 'second']);
  });
});
