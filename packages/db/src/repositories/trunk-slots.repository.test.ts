import { randomUUID } from 'node:crypto';
import type { CallStatus } from '@parley/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { DialerInstancesRepository } from './dialer-instances.repository';
import { testAccount, testTrunk } from './test-rows';
import { TrunkSlotsRepository } from './trunk-slots.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let slots: TrunkSlotsRepository;
let leases: DialerInstancesRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_trunk_slots');
  slots = new TrunkSlotsRepository(db.dataSource);
  leases = new DialerInstancesRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_slots');
  await testTrunk(db.dataSource, 'acct_slots', 'trk_3');
  await testTrunk(db.dataSource, 'acct_slots', 'trk_own', { sandbox: true });
});
afterAll(async () => {
  await db?.drop();
});

/** A dialer with a lease; `ranOutMsAgo` makes it a dead one. */
async function dialer(id: string, ranOutMsAgo?: number): Promise<{ dialerId: string; epoch: string }> {
  const epoch = await leases.start(id, 60_000);
  if (ranOutMsAgo !== undefined) await expire(id, ranOutMsAgo);
  return { dialerId: id, epoch };
}

async function expire(dialerId: string, msAgo = 1): Promise<void> {
  await db.dataSource.query(`UPDATE dialer_instances SET lease_expires_at = clock_timestamp() - make_interval(secs => $2::double precision / 1000) WHERE dialer_id = $1`, [dialerId, msAgo]);
}

async function call(status: CallStatus, trunkId: string, dialerId: string | null = null): Promise<string> {
  const id = randomUUID();
  await db.dataSource.query(
    `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, language, max_duration_seconds, ring_timeout_seconds, dialer_id)
     VALUES ($1, 'acct_slots', $2, $3, 'outbound', $4, '+1', '+2', 'p', 'en', 60, 30, $5)`,
    [id, randomUUID(), trunkId, status, dialerId],
  );
  return id;
}

async function slotRows(trunkId: string): Promise<{ call_id: string; state: string; dialer_id: string; start_at: Date | null }[]> {
  return db.dataSource.query(`SELECT call_id, state, dialer_id, start_at FROM dialer_trunk_slots WHERE trunk_id = $1 ORDER BY start_at NULLS LAST, call_id`, [trunkId]);
}

describe('TrunkSlotsRepository: the queue and its grants', () => {
  it('grants the oldest waiting calls first, across dialers, never beyond max_concurrent_calls, skipping dead dialers', async () => {
    await dialer('dialer-a');
    await dialer('dialer-b');
    await dialer('dialer-dead', 60_000);
    const t = Date.now();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    await slots.enqueue('dialer-dead', ids[0]!, 'trk_1', new Date(t));
    await slots.enqueue('dialer-a', ids[1]!, 'trk_1', new Date(t + 1));
    await slots.enqueue('dialer-b', ids[2]!, 'trk_1', new Date(t + 2));
    await slots.enqueue('dialer-a', ids[3]!, 'trk_1', new Date(t + 3));
    await slots.enqueue('dialer-b', ids[4]!, 'trk_1', new Date(t + 4));
    const limits = { maxConcurrentCalls: 2, callsPerSecond: 100 };

    // dialer-b runs the grant: the two oldest live waiters get the slots, one of them dialer-a's.
    expect((await slots.grant('dialer-b', 'trk_1', limits, [ids[2]!, ids[4]!])).map((g) => g.callId)).toEqual([ids[2]]);
    expect((await slots.grant('dialer-a', 'trk_1', limits, [ids[1]!, ids[3]!])).map((g) => g.callId)).toEqual([ids[1]]);
    expect((await slotRows('trk_1')).filter((r) => r.state === 'active').map((r) => r.call_id)).toEqual([ids[1], ids[2]]);

    // A freed slot goes to the next in line; pacing spaces the start times 1/cps apart.
    await slots.release(ids[1]!);
    const [next] = await slots.grant('dialer-a', 'trk_1', limits, [ids[3]!]);
    expect(next!.callId).toBe(ids[3]);
    const starts = (await slotRows('trk_1')).filter((r) => r.state === 'active').map((r) => r.start_at!.getTime());
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(10);
  });

  it('an enqueue of a call that already holds an active slot says so (it was originated before)', async () => {
    await dialer('dialer-a');
    const id = randomUUID();
    expect(await slots.enqueue('dialer-a', id, 'trk_2', new Date())).toBe(true);
    await slots.grant('dialer-a', 'trk_2', { maxConcurrentCalls: 1, callsPerSecond: 10 }, [id]);
    expect(await slots.enqueue('dialer-a', id, 'trk_2', new Date())).toBe(false);
  });

  it('abandon gives back only this dialer\'s waiting places; an inbound claim is taken once and rekeyed to its call', async () => {
    await dialer('dialer-a');
    const [waiting, granted, others] = [randomUUID(), randomUUID(), randomUUID()];
    await slots.enqueue('dialer-a', granted, 'trk_ab', new Date(0));
    await slots.grant('dialer-a', 'trk_ab', { maxConcurrentCalls: 1, callsPerSecond: 10 }, [granted]);
    await slots.enqueue('dialer-a', waiting, 'trk_ab', new Date());
    await slots.enqueue('dialer-b', others, 'trk_ab', new Date());
    await slots.abandon('dialer-a', [waiting, granted, others]);
    expect((await slotRows('trk_ab')).map((r) => r.call_id).sort()).toEqual([granted, others].sort());

    const claim = randomUUID();
    expect(await slots.claimInbound('dialer-a', claim, 'trk_ab')).toBe(true);
    expect(await slots.claimInbound('dialer-b', claim, 'trk_ab')).toBe(false);
    const callId = randomUUID();
    await slots.rekey(claim, callId);
    expect((await slotRows('trk_ab')).find((r) => r.call_id === callId)).toMatchObject({ state: 'active', dialer_id: 'dialer-a' });
  });

  it('sweep frees what dead dialers left (queue places, ended calls, stale claims) and keeps slots of live calls', async () => {
    await db.dataSource.query(`DELETE FROM dialer_trunk_slots`);
    await dialer('dialer-live');
    await dialer('dialer-gone', 60_000);
    const waiting = await call('queued', 'trk_3');
    const ended = await call('completed', 'trk_3');
    const talking = await call('in_progress', 'trk_3');
    const mine = await call('completed', 'trk_3');
    await slots.enqueue('dialer-gone', waiting, 'trk_3', new Date());
    await slots.occupy('dialer-gone', ended, 'trk_3', 'outbound');
    await slots.occupy('dialer-gone', talking, 'trk_3', 'outbound');
    await slots.claimInbound('dialer-gone', randomUUID(), 'trk_3');
    await slots.occupy('dialer-live', mine, 'trk_3', 'outbound');
    expect(await slots.sweep()).toBe(3);
    expect((await slotRows('trk_3')).map((r) => r.call_id).sort()).toEqual([talking, mine].sort());
  });
});

describe('TrunkSlotsRepository: ownership of live calls', () => {
  it('a call is adopted by one dialer only, and only once its owner\'s lease ran out', async () => {
    const [a, b, c] = await Promise.all(['lease-a', 'lease-b', 'lease-c'].map((id) => dialer(id)));
    const callId = randomUUID();
    await slots.occupy('lease-a', callId, 'trk_own', 'outbound');

    expect(await slots.adopt(b!, callId, 'trk_own', 'outbound')).toBe(false);
    await expire('lease-a');
    // Both live dialers see the orphan; the first to move the slot has it, the other is refused.
    const [byB, byC] = await Promise.all([slots.adopt(b!, callId, 'trk_own', 'outbound'), slots.adopt(c!, callId, 'trk_own', 'outbound')]);
    expect([byB, byC].filter(Boolean)).toHaveLength(1);
    expect((await slotRows('trk_own')).find((r) => r.call_id === callId)!.dialer_id).toBe(byB ? 'lease-b' : 'lease-c');
    // The old owner, its lease gone, cannot take it back.
    expect(await slots.adopt(a!, callId, 'trk_own', 'outbound')).toBe(false);
  });

  it('a restart with the same DIALER_ID owns its calls at once; the epoch of the process it replaced adopts nothing', async () => {
    const old = await dialer('lease-stable');
    const callId = randomUUID();
    await slots.occupy('lease-stable', callId, 'trk_own', 'inbound');
    const restarted = await dialer('lease-stable');
    expect(await slots.adopt(old, callId, 'trk_own', 'inbound')).toBe(false);
    expect(await slots.adopt(restarted, callId, 'trk_own', 'inbound')).toBe(true);
    // A call never seen by a slot is adopted only under a held lease.
    expect(await slots.adopt(old, randomUUID(), 'trk_own', 'outbound')).toBe(false);
    expect(await slots.adopt(restarted, randomUUID(), 'trk_own', 'outbound')).toBe(true);
  });

  it('lists live calls with their owner (slot, else the call\'s dialer) and tells whether any has lost it', async () => {
    await db.dataSource.query(`DELETE FROM calls`);
    await dialer('owner-live');
    await dialer('owner-dead', 60_000);
    const bySlot = await call('ringing', 'trk_own', 'owner-dead');
    await slots.occupy('owner-live', bySlot, 'trk_own', 'outbound');
    const byRow = await call('in_progress', 'trk_own', 'owner-live');
    await call('completed', 'trk_own', 'owner-dead');
    expect(await slots.hasOrphanedCall()).toBe(false);
    const live = await slots.liveCalls();
    expect(live.map((c) => [c.id, c.owner, c.sandbox]).sort()).toEqual(
      [
        [bySlot, 'owner-live', true],
        [byRow, 'owner-live', true],
      ].sort(),
    );
    expect(live.find((c) => c.id === byRow)).toMatchObject({ accountId: 'acct_slots', trunkId: 'trk_own', status: 'in_progress', direction: 'outbound', channelId: null, maxDurationSeconds: 60, ringTimeoutSeconds: 30 });

    const orphan = await call('initiated', 'trk_own', 'owner-dead');
    expect(await slots.hasOrphanedCall()).toBe(true);
    expect((await slots.liveCalls()).find((c) => c.id === orphan)!.owner).toBe('owner-dead');
  });
});
