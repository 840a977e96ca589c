import type { DataSource } from '@parley/db';
import { DATA_SOURCE, Metrics, Readiness } from '@parley/service-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DialerWorld, type RunningDialer } from './support/dialer-world';

// `pnpm bench dialer` with 1,200 calls dispatched at once: the lease renewal queued behind hundreds of call queries
// in the dialer's pool, the 3 s lease ran out and a healthy dialer fenced itself. Here the pool is filled with slow
// queries for several lease lengths; the lease must still be renewed on time.
const LEASE_MS = 500;

let world: DialerWorld;
let running: RunningDialer;
beforeAll(async () => {
  world = await DialerWorld.start();
  running = await world.startDialer({ DIALER_DB_POOL_SIZE: '2', DIALER_HEARTBEAT_MS: '100', DIALER_DEAD_AFTER_MS: String(LEASE_MS) });
});
afterAll(async () => {
  await world?.close();
});

async function lease(dialerId: string): Promise<{ live: boolean; epoch: string }> {
  const [row] = (await world.db.dataSource.query(`SELECT lease_expires_at > clock_timestamp() AS live, epoch::text AS epoch FROM dialer_instances WHERE dialer_id = $1`, [dialerId])) as {
    live: boolean;
    epoch: string;
  }[];
  return row!;
}

it('the lease is renewed while call traffic holds every connection of the dialer\'s pool', { timeout: 30_000 }, async () => {
  const dialerId = running.config.DIALER_ID;
  const before = await lease(dialerId);
  expect(before.live).toBe(true);

  // Two connections, six queries of 1.2 s each: the pool is busy for 3.6 s, seven lease lengths.
  const pool = running.app.get(DATA_SOURCE) as DataSource;
  const started = Date.now();
  const traffic = Promise.all(Array.from({ length: 6 }, () => pool.query(`SELECT pg_sleep(1.2)`)));
  const samples: boolean[] = [];
  while (Date.now() - started < 3_000) {
    await new Promise((r) => setTimeout(r, LEASE_MS / 2));
    samples.push((await lease(dialerId)).live);
  }
  await traffic;

  expect(samples.every(Boolean), `lease live at each sample: ${samples.join(',')}`).toBe(true);
  expect((await lease(dialerId)).epoch).toBe(before.epoch);
  const report = await running.app.get(Readiness).report();
  expect(report.checks.dialer_lease).toBe(true);
  const renewals = (await running.app.get(Metrics).registry.getSingleMetricAsString('parley_dialer_lease_renewal_seconds'))
    .split('\n')
    .find((l) => l.startsWith('parley_dialer_lease_renewal_seconds_count') && l.includes('result="renewed"'));
  expect(Number(renewals?.split(' ').pop())).toBeGreaterThan(10);
});
