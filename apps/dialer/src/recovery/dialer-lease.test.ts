import { createTestDatabase, type DataSource, DialerInstancesRepository } from '@parley/db';
import { createLogger } from '@parley/service-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDialerConfig } from '../config';
import { DialerPresence } from './dialer-presence';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ds: DataSource;
let leases: DialerInstancesRepository;
const logger = createLogger('lease-test', 'silent');
/** Renewals far apart: the tests move leases by hand. */
const SLOW = { heartbeatMs: 3_600_000, leaseMs: 60_000 };

beforeAll(async () => {
  db = await createTestDatabase('parley_dialer_lease');
  ds = db.dataSource;
  leases = new DialerInstancesRepository(ds);
});
afterAll(async () => {
  await db?.drop();
});

async function expire(dialerId: string): Promise<void> {
  await ds.query(`UPDATE dialer_instances SET lease_expires_at = clock_timestamp() - interval '1 ms' WHERE dialer_id = $1`, [dialerId]);
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

it('a restart with the same DIALER_ID takes a new epoch, and the stalled old process is told to stop acting', async () => {
  const old = new DialerPresence(leases, 'lease-stable', SLOW, logger);
  await old.start();
  const restarted = new DialerPresence(leases, 'lease-stable', SLOW, logger);
  await restarted.start();
  expect(BigInt(restarted.epoch!)).toBeGreaterThan(BigInt(old.epoch!));

  let lost = 0;
  old.onLost = () => lost++;
  await renew(old);
  expect(lost).toBe(1);
  // Leaving with the old epoch does not remove the new process's lease.
  await old.stop(true);
  expect(await leases.live()).toContain('lease-stable');
  await restarted.stop(true);
  expect(await leases.live()).not.toContain('lease-stable');
});

it('a lease that ran out is not renewed (others may have adopted its calls): the dialer is told to stop acting', async () => {
  const p = new DialerPresence(leases, 'lease-late', SLOW, logger);
  await p.start();
  let lost = 0;
  p.onLost = () => lost++;
  await renew(p);
  expect(lost).toBe(0);
  await expire('lease-late');
  await renew(p);
  expect(lost).toBe(1);
  expect(await leases.live()).not.toContain('lease-late');
  await p.stop(true);
});

it('renews on its own every heartbeat, one renewal at a time', async () => {
  let inFlight = 0;
  let overlapped = false;
  let renewals = 0;
  const slow = Object.assign(Object.create(leases) as DialerInstancesRepository, {
    renew: async (...args: Parameters<DialerInstancesRepository['renew']>) => {
      overlapped ||= inFlight > 0;
      inFlight++;
      // Each renewal takes three heartbeats: a timer that fired regardless would overlap them.
      await new Promise((r) => setTimeout(r, 60));
      inFlight--;
      renewals++;
      return leases.renew(...args);
    },
  });
  const p = new DialerPresence(slow, 'lease-paced', { heartbeatMs: 20, leaseMs: 60_000 }, logger);
  await p.start();
  await new Promise((r) => setTimeout(r, 400));
  await p.stop(true);
  expect(renewals).toBeGreaterThanOrEqual(3);
  expect(overlapped).toBe(false);
});
