import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { DialerInstancesRepository } from './dialer-instances.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let leases: DialerInstancesRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_dialer_instances');
  leases = new DialerInstancesRepository(db.dataSource);
});
afterAll(async () => {
  await db?.drop();
});

async function expireAgo(dialerId: string, interval: string): Promise<void> {
  await db.dataSource.query(`UPDATE dialer_instances SET lease_expires_at = clock_timestamp() - $2::interval WHERE dialer_id = $1`, [dialerId, interval]);
}

describe('DialerInstancesRepository', () => {
  it('a started lease is live and renewable until it runs out; then it is neither', async () => {
    const epoch = await leases.start('d-run', 60_000);
    expect(await leases.live()).toContain('d-run');
    expect(await leases.renew('d-run', epoch, 60_000)).toBe(true);
    await expireAgo('d-run', '1 millisecond');
    expect(await leases.live()).not.toContain('d-run');
    expect(await leases.renew('d-run', epoch, 60_000)).toBe(false);
  });

  it('a restart of the same id takes a newer epoch: the old epoch can neither renew nor leave', async () => {
    const old = await leases.start('d-same', 60_000);
    const restarted = await leases.start('d-same', 60_000);
    expect(BigInt(restarted)).toBeGreaterThan(BigInt(old));
    expect(await leases.renew('d-same', old, 60_000)).toBe(false);
    await leases.leave('d-same', old);
    expect(await leases.live()).toContain('d-same');
    await leases.leave('d-same', restarted);
    expect(await leases.live()).not.toContain('d-same');
  });

  it('prune forgets dialers whose lease ran out over a day ago', async () => {
    await leases.start('d-old', 60_000);
    await leases.start('d-recent', 60_000);
    await expireAgo('d-old', '25 hours');
    await expireAgo('d-recent', '1 hour');
    expect(await leases.prune()).toBe(1);
    const ids: { dialer_id: string }[] = await db.dataSource.query(`SELECT dialer_id FROM dialer_instances`);
    expect(ids.map((r) => r.dialer_id)).toContain('d-recent');
    expect(ids.map((r) => r.dialer_id)).not.toContain('d-old');
  });
});
