import { randomUUID } from 'node:crypto';
import { createTestDatabase, type DataSource } from '@parley/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrunkCapacity } from './trunk-capacity';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ds: DataSource;
beforeAll(async () => {
  db = await createTestDatabase('parley_dialer_capacity');
  ds = db.dataSource;
  await ds.query(`INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ('acct_cap', 'x', 'x', 0, 1, 0)`);
});
afterAll(async () => {
  await db?.drop();
});

async function beat(dialerId: string, ageMs = 0): Promise<void> {
  await ds.query(
    `INSERT INTO dialer_instances (dialer_id, heartbeat_at, lease_expires_at)
     VALUES ($1, clock_timestamp() - make_interval(secs => $2::double precision / 1000), clock_timestamp() - make_interval(secs => $2::double precision / 1000) + interval '1 second')
     ON CONFLICT (dialer_id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, lease_expires_at = EXCLUDED.lease_expires_at`,
    [dialerId, ageMs],
  );
}

async function call(status: string, trunkId: string): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, language, max_duration_seconds, ring_timeout_seconds)
     VALUES ($1, 'acct_cap', $2, $3, 'outbound', $4, '+1', '+2', 'p', 'en', 60, 30)`,
    [id, randomUUID(), trunkId, status],
  );
  return id;
}

it('grants the oldest waiting calls first, across dialers, never beyond max_concurrent_calls, skipping dead dialers', async () => {
  const a = new TrunkCapacity(ds, 'dialer-a');
  const b = new TrunkCapacity(ds, 'dialer-b');
  await beat('dialer-a');
  await beat('dialer-b');
  await beat('dialer-dead', 60_000);
  const dead = new TrunkCapacity(ds, 'dialer-dead');
  const t = Date.now();
  const ids = Array.from({ length: 5 }, () => randomUUID());
  await dead.enqueue(ids[0]!, 'trk_1', new Date(t));
  await a.enqueue(ids[1]!, 'trk_1', new Date(t + 1));
  await b.enqueue(ids[2]!, 'trk_1', new Date(t + 2));
  await a.enqueue(ids[3]!, 'trk_1', new Date(t + 3));
  await b.enqueue(ids[4]!, 'trk_1', new Date(t + 4));
  const limits = { maxConcurrentCalls: 2, callsPerSecond: 100 };

  // dialer-b runs the grant: the two oldest live waiters get the slots, one of them dialer-a's.
  expect((await b.grant('trk_1', limits, [ids[2]!, ids[4]!])).map((g) => g.callId)).toEqual([ids[2]]);
  expect((await a.grant('trk_1', limits, [ids[1]!, ids[3]!])).map((g) => g.callId)).toEqual([ids[1]]);
  const active: { call_id: string }[] = await ds.query(`SELECT call_id FROM dialer_trunk_slots WHERE state = 'active' ORDER BY start_at`);
  expect(active.map((r) => r.call_id)).toEqual([ids[1], ids[2]]);

  // A freed slot goes to the next in line; pacing spaces the start times 1/cps apart.
  await a.release(ids[1]!);
  const [next] = await a.grant('trk_1', limits, [ids[3]!]);
  expect(next!.callId).toBe(ids[3]);
  const starts: { start_at: Date }[] = await ds.query(`SELECT start_at FROM dialer_trunk_slots WHERE state = 'active' ORDER BY start_at`);
  expect(starts[1]!.start_at.getTime() - starts[0]!.start_at.getTime()).toBeGreaterThanOrEqual(10);
});

it('an enqueue of a call that already holds an active slot says so (it was originated before)', async () => {
  const a = new TrunkCapacity(ds, 'dialer-a');
  await beat('dialer-a');
  const id = randomUUID();
  expect(await a.enqueue(id, 'trk_2', new Date())).toBe(true);
  await a.grant('trk_2', { maxConcurrentCalls: 1, callsPerSecond: 10 }, [id]);
  expect(await a.enqueue(id, 'trk_2', new Date())).toBe(false);
});

it('sweep frees what dead dialers left (queue places, ended calls, stale claims) and keeps slots of live calls', async () => {
  await ds.query(`DELETE FROM dialer_trunk_slots`);
  await beat('dialer-live');
  await beat('dialer-gone', 60_000);
  const live = new TrunkCapacity(ds, 'dialer-live');
  const gone = new TrunkCapacity(ds, 'dialer-gone');
  const waiting = await call('queued', 'trk_3');
  const ended = await call('completed', 'trk_3');
  const talking = await call('in_progress', 'trk_3');
  const mine = await call('completed', 'trk_3');
  await gone.enqueue(waiting, 'trk_3', new Date());
  await gone.occupy(ended, 'trk_3', 'outbound');
  await gone.occupy(talking, 'trk_3', 'outbound');
  await gone.claim(randomUUID(), 'trk_3');
  await live.occupy(mine, 'trk_3', 'outbound');
  expect(await live.sweep()).toBe(3);
  const left: { call_id: string }[] = await ds.query(`SELECT call_id FROM dialer_trunk_slots ORDER BY call_id`);
  expect(left.map((r) => r.call_id).sort()).toEqual([talking, mine].sort());
});
