import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { ApiRateBucketsRepository } from './api-rate-buckets.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let buckets: ApiRateBucketsRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_rate_buckets');
  buckets = new ApiRateBucketsRepository(db.dataSource);
});
afterAll(async () => {
  await db?.drop();
});

// A refill so slow (one token per 100 s) that the time the test takes adds no whole token.
const slow = { perSecond: 0.01, capacity: 10, chunk: 3 };
/** Sets a bucket as if its last lease, `secondsAgo`, had left `tokens` in it. */
const setBucket = (key: string, tokens: number, secondsAgo: number) =>
  db.dataSource.query(`UPDATE api_rate_buckets SET tokens = $2, at = clock_timestamp() - make_interval(secs => $3) WHERE key = $1`, [key, tokens, secondsAgo]);

it('starts full, grants whole chunks, then what is left, then nothing, with the remainder it leaves', async () => {
  const grants = [];
  for (let i = 0; i < 5; i++) grants.push(await buckets.lease('key_a', slow));
  expect(grants.map((g) => g.granted)).toEqual([3, 3, 3, 1, 0]);
  expect(grants[0]!.tokens).toBeCloseTo(7, 1);
  expect(grants[4]!.tokens).toBeGreaterThanOrEqual(0);
  expect(grants[4]!.tokens).toBeLessThan(1);
  // Another key has its own bucket.
  expect(await buckets.lease('key_b', slow)).toMatchObject({ granted: 3 });
});

it('refills by the time since the last lease, up to its capacity', async () => {
  const shape = { ...slow, perSecond: 1 };
  await buckets.lease('key_c', shape);
  await setBucket('key_c', 0, 2.5);
  const refilled = await buckets.lease('key_c', shape);
  expect(refilled.granted).toBe(2);
  expect(refilled.tokens).toBeGreaterThanOrEqual(0.5);
  expect(refilled.tokens).toBeLessThan(1);

  await setBucket('key_c', 0, 3600);
  const full = await buckets.lease('key_c', shape);
  expect(full.granted).toBe(3);
  expect(full.tokens).toBeCloseTo(7, 1);
});

it('never grants more than the bucket holds to leases racing on one key', async () => {
  const leases = await Promise.all(Array.from({ length: 25 }, () => buckets.lease('key_d', { perSecond: 0.01, capacity: 10, chunk: 1 })));
  expect(leases.reduce((sum, l) => sum + l.granted, 0)).toBe(10);
  expect(leases.filter((l) => l.granted === 0)).toHaveLength(15);
});
