import { randomUUID } from 'node:crypto';
import { createTestDatabase, type DataSource } from '@parley/db';
import { createLogger } from '@parley/service-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDialerConfig } from '../config';
import { TrunkCapacity } from '../dispatch/trunk-capacity';
import { DialerPresence, liveDialers } from './dialer-presence';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ds: DataSource;
const logger = createLogger('lease-test', 'silent');
/** Renewals far apart: the tests move leases by hand. */
const SLOW = { heartbeatMs: 3_600_000, leaseMs: 60_000 };

beforeAll(async () => {
  db = await createTestDatabase('parley_dialer_lease');
  ds = db.dataSource;
});
afterAll(async () => {
  await db?.drop();
});

async function expire(dialerId: string): Promise<void> {
  await ds.query(`UPDATE dialer_instances SET lease_expires_at = clock_timestamp() - interval '1 ms' WHERE dialer_id = $1`, [dialerId]);
}

async function slotOwner(callId: string): Promise<string | undefined> {
  const rows: { dialer_id: string }[] = await ds.query(`SELECT dialer_id FROM dialer_trunk_slots WHERE call_id = $1`, [callId]);
  return rows[0]?.dialer_id;
}

async function renew(p: DialerPresence): Promise<void> {
  await (p as unknown as { renew(): Promise<void> }).renew();
}

it('the default adoption window is a few seconds: a 3 s lease renewed every second', () => {
  const config = loadDialerConfig({});
  expect(config.DIALER_DEAD_AFTER_MS).toBe(3000);
  expect(config.DIALER_HEARTBEAT_MS).toBe(1000);
  // Lease left to run out, then the orphan check at the next heartbeat of a live dialer.
  expect(config.DIALER_DEAD_AFTER_MS + config.DIALER_HEARTBEAT_MS).toBeLessThanOrEqual(5000);
});

it('a call is adopted by one dialer only, and only once its owner\'s lease ran out', async () => {
  const [a, b, c] = ['lease-a', 'lease-b', 'lease-c'].map((id) => new DialerPresence(ds, id, SLOW, logger));
  for (const p of [a!, b!, c!]) await p.start();
  const callId = randomUUID();
  await new TrunkCapacity(ds, 'lease-a').occupy(callId, 'trk_lease', 'outbound');

  expect(await new TrunkCapacity(ds, 'lease-b').adopt(callId, 'trk_lease', 'outbound', b!.epoch!)).toBe(false);
  await expire('lease-a');
  // Both live dialers see the orphan; the first to move the slot has it, the other is refused.
  const [byB, byC] = await Promise.all([
    new TrunkCapacity(ds, 'lease-b').adopt(callId, 'trk_lease', 'outbound', b!.epoch!),
    new TrunkCapacity(ds, 'lease-c').adopt(callId, 'trk_lease', 'outbound', c!.epoch!),
  ]);
  expect([byB, byC].filter(Boolean)).toHaveLength(1);
  expect(await slotOwner(callId)).toBe(byB ? 'lease-b' : 'lease-c');
  // The old owner, its lease gone, cannot take it back.
  expect(await new TrunkCapacity(ds, 'lease-a').adopt(callId, 'trk_lease', 'outbound', a!.epoch!)).toBe(false);
  for (const p of [a!, b!, c!]) await p.stop(true);
});

it('a restart with the same DIALER_ID takes a new epoch: it owns its calls at once, and the stalled old process is fenced', async () => {
  const old = new DialerPresence(ds, 'lease-stable', SLOW, logger);
  await old.start();
  const callId = randomUUID();
  await new TrunkCapacity(ds, 'lease-stable').occupy(callId, 'trk_lease', 'outbound');

  const restarted = new DialerPresence(ds, 'lease-stable', SLOW, logger);
  await restarted.start();
  expect(BigInt(restarted.epoch!)).toBeGreaterThan(BigInt(old.epoch!));
  const capacity = new TrunkCapacity(ds, 'lease-stable');
  expect(await capacity.adopt(callId, 'trk_lease', 'outbound', old.epoch!)).toBe(false);
  expect(await capacity.adopt(callId, 'trk_lease', 'outbound', restarted.epoch!)).toBe(true);

  let lost = 0;
  old.onLost = () => lost++;
  await renew(old);
  expect(lost).toBe(1);
  // Leaving with the old epoch does not remove the new process's lease.
  await old.stop(true);
  expect(await liveDialers(ds)).toContain('lease-stable');
  await restarted.stop(true);
});

it('a lease that ran out is not renewed (others may have adopted its calls): the dialer is told to stop acting', async () => {
  const p = new DialerPresence(ds, 'lease-late', SLOW, logger);
  await p.start();
  let lost = 0;
  p.onLost = () => lost++;
  await renew(p);
  expect(lost).toBe(0);
  await expire('lease-late');
  await renew(p);
  expect(lost).toBe(1);
  expect(await liveDialers(ds)).not.toContain('lease-late');
  await p.stop(true);
});
