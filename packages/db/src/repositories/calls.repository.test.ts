import { randomUUID } from 'node:crypto';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEntity } from '../entities/agent.entity';
import { CallEntity } from '../entities/call.entity';
import { PhoneNumberEntity } from '../entities/phone-number.entity';
import { createTestDatabase } from '../test-database';
import { CallsRepository } from './calls.repository';
import { testAccount, testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let calls: CallsRepository;

function callRow(accountId: string, fields: Partial<CallEntity> = {}): CallEntity {
  const now = new Date();
  return {
    id: randomUUID(), accountId, agentId: randomUUID(), trunkId: 'trk_a', direction: 'outbound', channel: 'phone', status: 'queued', toNumber: '+15550002000', fromNumber: '+15550001000',
    persona: null, instructions: null, prompt: 'p', context: {}, returns: null, result: null, resultStatus: 'pending', resultError: null, language: 'en',
    webhookUrl: null, webhookStatus: null, webhookError: null, createdAt: now, startedAt: null, answeredAt: null, endedAt: null, durationSeconds: null,
    billedDurationSeconds: null, billingAmountMilliCents: null, reservationStatus: 'reserved', reservedMilliCents: 0, errorCode: null, errorMessage: null,
    hangupCause: null, hangupCauseCode: null, answeredBy: null, latency: null, metadata: {}, campaignId: null, maxDurationSeconds: 600, ringTimeoutSeconds: 30, channelId: null,
    dialerId: null, asterisk: null, completedPublishedAt: null, updatedAt: now, ...fields,
  };
}

async function agent(accountId: string, fields: Partial<AgentEntity>): Promise<AgentEntity> {
  const row = {
    id: randomUUID(), accountId, name: 'a', type: 'outbound' as const, persona: 'You are Ava.', instructions: 'Confirm.', voice: null, language: 'en', returns: { ok: 'boolean' }, tools: [],
    voicemailAction: 'hangup' as const, voicemailMessage: null, initialGreeting: null, webhookUrl: 'https://example.com/h', numberIds: [], primaryNumberId: null,
    maxDurationSeconds: 600, ringTimeoutSeconds: 30, llm: {}, ...fields,
  };
  await db.dataSource.getRepository(AgentEntity).insert(row as QueryDeepPartialEntity<AgentEntity>);
  return db.dataSource.getRepository(AgentEntity).findOneByOrFail({ id: row.id });
}

async function number(accountId: string, id: string, value: string, trunkId = 'trk_a') {
  await db.dataSource.getRepository(PhoneNumberEntity).insert({ id, accountId, number: value, trunkId, label: null });
}

beforeAll(async () => {
  db = await createTestDatabase('parley_calls');
  calls = new CallsRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_a', { balanceMilliCents: 5000 });
  await testAccount(db.dataSource, 'acct_b');
  await testTrunk(db.dataSource, 'acct_a', 'trk_a');
});

afterAll(async () => {
  await db?.drop();
});

describe('CallsRepository: call rows', () => {
  it('inserts, finds, updates and reads a call only in its own account', async () => {
    const c = callRow('acct_a', { metadata: { k: 'v' }, reservedMilliCents: 1200 });
    await calls.insert(c);
    expect(await calls.get('acct_a', c.id)).toMatchObject({ id: c.id, status: 'queued', metadata: { k: 'v' }, reservedMilliCents: 1200 });
    expect(await calls.get('acct_b', c.id)).toBeNull();
    await calls.update('acct_b', c.id, { status: 'failed' });
    await calls.update('acct_a', c.id, { status: 'ringing', startedAt: new Date('2026-01-01T00:00:00Z') });
    expect(await calls.get('acct_a', c.id)).toMatchObject({ status: 'ringing', startedAt: new Date('2026-01-01T00:00:00Z') });
    expect(await calls.resultStatus('acct_a', c.id)).toBe('pending');
    expect(await calls.resultStatus('acct_b', c.id)).toBeNull();
  });

  it('lists newest first with filters, a page at a time after a cursor', async () => {
    const base = Date.parse('2030-01-01T00:00:00Z');
    const rows = [0, 1, 2, 3].map((i) => callRow('acct_b', { createdAt: new Date(base + i * 1000), status: i === 3 ? 'completed' : 'queued', toNumber: `+1555000300${i}`, direction: i === 2 ? 'inbound' : 'outbound' }));
    for (const r of rows) await calls.insert(r);
    const first = await calls.list('acct_b', {}, { limit: 2, after: null });
    expect(first.rows.map((r) => r.id)).toEqual([rows[3]!.id, rows[2]!.id]);
    expect(first.hasMore).toBe(true);
    const after = await calls.cursor('acct_b', rows[2]!.id);
    expect(await calls.cursor('acct_a', rows[2]!.id)).toBeNull();
    const second = await calls.list('acct_b', {}, { limit: 2, after });
    expect(second.rows.map((r) => r.id)).toEqual([rows[1]!.id, rows[0]!.id]);
    expect(second.hasMore).toBe(false);
    expect((await calls.list('acct_b', { status: 'completed' }, { limit: 10, after: null })).rows.map((r) => r.id)).toEqual([rows[3]!.id]);
    expect((await calls.list('acct_b', { direction: 'inbound' }, { limit: 10, after: null })).rows.map((r) => r.id)).toEqual([rows[2]!.id]);
    expect((await calls.list('acct_b', { number: '+15550003001' }, { limit: 10, after: null })).rows.map((r) => r.id)).toEqual([rows[1]!.id]);
    expect((await calls.list('acct_b', { createdAfter: new Date(base), createdBefore: new Date(base + 3000) }, { limit: 10, after: null })).rows).toHaveLength(2);
    expect((await calls.list('acct_a', { toNumber: '+15550003001' }, { limit: 10, after: null })).rows).toEqual([]);
  });

  it('finds calls nothing drives any more: queued too long, ringing past the ring timeout, connected past max duration', async () => {
    const old = new Date(Date.now() - 3600_000);
    const stale = [
      callRow('acct_a', { status: 'queued', createdAt: old }),
      callRow('acct_a', { status: 'ringing', updatedAt: old }),
      callRow('acct_b', { status: 'in_progress', answeredAt: old }),
    ];
    const live = [callRow('acct_a', { status: 'queued' }), callRow('acct_a', { status: 'ringing', ringTimeoutSeconds: 7200, updatedAt: old }), callRow('acct_a', { status: 'completed', createdAt: old, updatedAt: old })];
    for (const r of [...stale, ...live]) await calls.insert(r);
    const found = await calls.findStale({ queuedSeconds: 60, graceSeconds: 30, limit: 500 });
    expect(found.map((c) => c.id).sort()).toEqual(stale.map((c) => c.id).sort());
    expect(await calls.findStale({ queuedSeconds: 60, graceSeconds: 30, limit: 1 })).toHaveLength(1);
  });

  it('locks a row for update: a second transaction waits for the first', async () => {
    const c = callRow('acct_a');
    await calls.insert(c);
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.dataSource.transaction(async (m) => {
      expect(await calls.with(m).getForUpdate('acct_a', c.id)).toMatchObject({ id: c.id });
      order.push('first locked');
      await held;
      order.push('first done');
    });
    await expect.poll(() => order.length).toBe(1);
    const second = db.dataSource.transaction(async (m) => {
      await calls.with(m).getForUpdate('acct_a', c.id);
      order.push('second locked');
    });
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first locked', 'first done', 'second locked']);
    expect(await db.dataSource.transaction((m) => calls.with(m).getForUpdate('acct_b', c.id))).toBeNull();
  });
});

describe('CallsRepository: creating calls', () => {
  it("finds a new call's agent, billing and caller number: the primary one, a named one, or none", async () => {
    await number('acct_a', 'num_1', '+15550001001');
    await number('acct_a', 'num_2', '+15550001002');
    const a = await agent('acct_a', { numberIds: ['num_1', 'num_2'], primaryNumberId: 'num_2' });
    const source = await calls.findNewCallSource('acct_a', a.id, null);
    expect(source).toEqual({
      agent: {
        id: a.id, type: 'outbound', persona: 'You are Ava.', instructions: 'Confirm.', returns: { ok: 'boolean' }, language: 'en', webhookUrl: 'https://example.com/h', maxDurationSeconds: 600, ringTimeoutSeconds: 30,
        voice: null, initialGreeting: null, voicemailAction: 'hangup', voicemailMessage: null, tools: [], llm: {}, conversation: { mode: 'hosted' },
      },
      account: { id: 'acct_a', balanceMilliCents: 5000, rateMilliCentsPerMinute: 1000, billingIncrementSeconds: 1, billingMinimumSeconds: 0, webhookSecret: expect.any(String) },
      from: { number: '+15550001002', trunkId: 'trk_a' },
      doNotCall: false,
    });
    await db.dataSource.query(`INSERT INTO do_not_call (account_id, number) VALUES ('acct_a', '+15550009090')`);
    expect((await calls.findNewCallSource('acct_a', a.id, null))?.doNotCall).toBe(true);
    await db.dataSource.query(`DELETE FROM do_not_call WHERE account_id = 'acct_a'`);
    expect((await calls.findNewCallSource('acct_a', a.id, '+15550001001'))?.from).toEqual({ number: '+15550001001', trunkId: 'trk_a' });
    expect((await calls.findNewCallSource('acct_a', a.id, '+15550009999'))?.from).toBeNull();
    const first = await agent('acct_a', { numberIds: ['num_1'] });
    expect((await calls.findNewCallSource('acct_a', first.id, null))?.from).toEqual({ number: '+15550001001', trunkId: 'trk_a' });
    expect((await calls.findNewCallSource('acct_a', (await agent('acct_a', {})).id, null))?.from).toBeNull();
    expect(await calls.findNewCallSource('acct_b', a.id, null)).toBeNull();
    expect((await calls.findNewCallSource('acct_b', (await agent('acct_b', {})).id, null))?.account.balanceMilliCents).toBeNull();
  });

  it('finds a call with its agent for its conversation snapshot, only in its own account', async () => {
    const a = await agent('acct_a', { voice: 'en-us+f3', initialGreeting: 'Hi {{name}}', tools: [{ type: 'end_call' }] });
    const c = callRow('acct_a', { agentId: a.id });
    await calls.insert(c);
    expect(await calls.findForConversation('acct_a', c.id)).toMatchObject({ call: { id: c.id, prompt: 'p' }, agent: { id: a.id, voice: 'en-us+f3', initialGreeting: 'Hi {{name}}', tools: [{ type: 'end_call' }] } });
    expect(await calls.findForConversation('acct_b', c.id)).toBeNull();
    const orphan = callRow('acct_a');
    await calls.insert(orphan);
    expect(await calls.findForConversation('acct_a', orphan.id)).toBeNull();
  });

  it('finds the oldest inbound agent of the account with the number attached', async () => {
    await number('acct_a', 'num_in', '+15550001100');
    await agent('acct_a', { type: 'outbound', numberIds: ['num_in'] });
    expect(await calls.inboundAgentFor('acct_a', 'num_in')).toBeNull();
    const older = await agent('acct_a', { type: 'inbound', numberIds: ['num_in'] });
    await new Promise((r) => setTimeout(r, 5));
    await agent('acct_a', { type: 'inbound', numberIds: ['num_x', 'num_in'] });
    expect((await calls.inboundAgentFor('acct_a', 'num_in'))?.id).toBe(older.id);
    expect(await calls.inboundAgentFor('acct_b', 'num_in')).toBeNull();
  });

  it('claims an idempotency key once per account', async () => {
    const callId = randomUUID();
    expect(await calls.claimIdempotencyKey({ accountId: 'acct_a', key: 'k1', requestHash: 'h', callId })).toBe(true);
    expect(await calls.claimIdempotencyKey({ accountId: 'acct_a', key: 'k1', requestHash: 'other', callId: randomUUID() })).toBe(false);
    expect(await calls.claimIdempotencyKey({ accountId: 'acct_b', key: 'k1', requestHash: 'h', callId: randomUUID() })).toBe(true);
    expect(await calls.findIdempotencyKey('acct_a', 'k1')).toMatchObject({ accountId: 'acct_a', key: 'k1', requestHash: 'h', callId });
    expect(await calls.findIdempotencyKey('acct_a', 'k2')).toBeNull();
  });
});

describe('CallsRepository: events, transcript and recording', () => {
  it('records an event id once', async () => {
    const e = { id: 'evt_1', callId: randomUUID(), accountId: 'acct_a', type: 'ringing', seq: 2, at: '2026-01-01T00:00:00.123Z', data: { a: 1 } };
    expect(await calls.recordEvent(e)).toBe(true);
    expect(await calls.recordEvent({ ...e, seq: 3 })).toBe(false);
    const [row] = await db.dataSource.query(`SELECT seq, at, data FROM call_events WHERE id = 'evt_1'`);
    expect(row).toEqual({ seq: 2, at: new Date('2026-01-01T00:00:00.123Z'), data: { a: 1 } });
  });

  it('saves transcript segments (a repeated index takes the newer text) and reads them in order, in the account', async () => {
    const call = { id: randomUUID(), accountId: 'acct_a' };
    const seg = (index: number, text: string, interrupted = false) => ({ index, role: index % 2 ? ('user' as const) : ('agent' as const), text, startMs: index * 1000, endMs: index * 1000 + 500, interrupted, model: index % 2 ? null : 'llama3.1:8b' });
    await calls.saveSegments(call, [seg(1, 'Hello?'), seg(0, 'Hi, this is Ava')]);
    await calls.saveSegments(call, [seg(1, 'Hello, who is this?', true), seg(1, 'Hello, who is this? Ava?', true)]);
    expect((await calls.transcript('acct_a', call.id)).map((s) => [s.index, s.text, s.interrupted, s.model])).toEqual([
      [0, 'Hi, this is Ava', false, 'llama3.1:8b'],
      [1, 'Hello, who is this? Ava?', true, undefined],
    ]);
    expect(await calls.transcript('acct_b', call.id)).toEqual([]);
  });

  it('saves a recording (again: the newer file wins) and finds it in the account', async () => {
    const call = { id: randomUUID(), accountId: 'acct_a' };
    const local = { format: 'wav', store: 'local', bucket: null, state: 'stored' } as const;
    expect(await calls.hasRecording('acct_a', call.id)).toBe(false);
    await calls.saveRecording(call, { path: 'a.wav', durationMs: 1000, bytes: 32044, ...local });
    await calls.saveRecording(call, { path: 'b.wav', durationMs: 2000, bytes: 64044, ...local });
    expect(await calls.recording('acct_a', call.id)).toMatchObject({ path: 'b.wav', durationMs: 2000, bytes: 64044, format: 'wav', store: 'local', bucket: null, state: 'stored' });
    expect(await calls.recording('acct_b', call.id)).toBeNull();
    expect(await calls.hasRecording('acct_a', call.id)).toBe(true);
    expect(await calls.hasRecording('acct_b', call.id)).toBe(false);
  });
});

describe('CallsRepository: exclusive work', () => {
  it('runs one sweep at a time and one settlement per call at a time, across connections', async () => {
    const other = new CallsRepository(db.dataSource);
    const callId = randomUUID();
    const outcome = await calls.whileSweeping(async () => ({
      sweep: await other.whileSweeping(async () => 'ran'),
      settle: await other.whileSettling(callId, async () => 'ran'),
    }));
    expect(outcome).toEqual({ ran: true, value: { sweep: { ran: false }, settle: { ran: true, value: 'ran' } } });
    const settled = await calls.whileSettling(callId, async () => ({ same: await other.whileSettling(callId, async () => 1), another: await other.whileSettling(randomUUID(), async () => 2) }));
    expect(settled).toEqual({ ran: true, value: { same: { ran: false }, another: { ran: true, value: 2 } } });
    // Released after a failure too.
    await expect(calls.whileSweeping(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await other.whileSweeping(async () => 'again')).toEqual({ ran: true, value: 'again' });
  });
});

describe("CallsRepository: the dialer's reads", () => {
  it('reads a dispatched call\'s status and its trunk in one go, each null when missing or of another account', async () => {
    const c = callRow('acct_a');
    await calls.insert(c);
    expect(await calls.findForDispatch('acct_a', c.id, 'trk_a')).toEqual({ status: 'queued', trunk: { id: 'trk_a', accountId: 'acct_a', sandbox: false, asterisks: [], maxConcurrentCalls: 5, callsPerSecond: 1 } });
    expect(await calls.findForDispatch('acct_a', c.id, 'trk_none')).toEqual({ status: 'queued', trunk: null });
    expect(await calls.findForDispatch('acct_a', randomUUID(), 'trk_a')).toMatchObject({ status: null });
    expect(await calls.findForDispatch('acct_b', c.id, 'trk_a')).toEqual({ status: null, trunk: null });
  });

  it('tells which of some calls are over', async () => {
    const [over, live, queued] = [callRow('acct_a', { status: 'busy' }), callRow('acct_a', { status: 'ringing' }), callRow('acct_b')];
    for (const c of [over, live, queued]) await calls.insert(c);
    expect(await calls.endedAmong([over.id, live.id, queued.id, randomUUID()])).toEqual(new Set([over.id]));
    expect(await calls.endedAmong([])).toEqual(new Set());
  });
});
