import type { RateBucketLease, RateBucketShape } from '@parley/db';
import { describe, expect, it } from 'vitest';
import { LEASE_TTL_MS, type RateBuckets, RateLimiter } from './rate-limiter';

/** The shared buckets as Postgres keeps them (ApiRateBucketsRepository), on the test's clock, counting leases. */
class FakeBuckets implements RateBuckets {
  readonly rows = new Map<string, { tokens: number; at: number }>();
  leases = 0;
  constructor(private readonly clock: { t: number }) {}

  async lease(key: string, shape: RateBucketShape): Promise<RateBucketLease> {
    this.leases++;
    const row = this.rows.get(key) ?? { tokens: shape.capacity, at: this.clock.t };
    const tokens = Math.min(shape.capacity, row.tokens + (Math.max(0, this.clock.t - row.at) / 1000) * shape.perSecond);
    const granted = Math.min(shape.chunk, Math.floor(tokens));
    this.rows.set(key, { tokens: tokens - granted, at: this.clock.t });
    return { granted, tokens: tokens - granted };
  }
}

function setup(perSecond = 100) {
  const clock = { t: 0 };
  const buckets = new FakeBuckets(clock);
  const warnings: unknown[] = [];
  const logger = { warn: (...args: unknown[]) => void warnings.push(args) } as never;
  const process = () => new RateLimiter(perSecond, buckets, logger, () => clock.t);
  return { clock, buckets, warnings, process };
}

async function takeMany(limiter: RateLimiter, n: number, key = 'key_1') {
  const waits = [];
  for (let i = 0; i < n; i++) waits.push(await limiter.take(key));
  return { allowed: waits.filter((w) => w === 0).length, waits };
}

describe('RateLimiter', () => {
  it('allows a burst of twice the rate, then the rate, at one lease per chunk, and says how long to wait', async () => {
    const { clock, buckets, process } = setup(100);
    const limiter = process();
    expect(limiter.chunk).toBe(10);
    const burst = await takeMany(limiter, 250);
    expect(burst.allowed).toBe(200);
    expect(burst.waits[200]).toBeCloseTo(10); // one token at 100/s
    expect(buckets.leases).toBeLessThanOrEqual(21);

    clock.t += 500;
    expect((await takeMany(limiter, 100)).allowed).toBe(50);
    // Another key has its own bucket.
    expect((await takeMany(limiter, 5, 'key_2')).allowed).toBe(5);
  });

  it('holds the limit across processes sharing the buckets', async () => {
    const { clock, process } = setup(100);
    const a = process();
    const b = process();
    let allowed = 0;
    for (let i = 0; i < 300; i++) if ((await (i % 2 ? a : b).take('key_1')) === 0) allowed++;
    expect(allowed).toBe(200);
    clock.t += 1000;
    allowed = 0;
    for (let i = 0; i < 300; i++) if ((await (i % 2 ? a : b).take('key_1')) === 0) allowed++;
    expect(allowed).toBe(100);
  });

  it('drops leased tokens left unspent, never handing them back', async () => {
    const { clock, buckets, process } = setup(100);
    const limiter = process();
    await limiter.take('key_1');
    expect(buckets.rows.get('key_1')!.tokens).toBe(190);
    clock.t += LEASE_TTL_MS;
    await limiter.take('key_1');
    expect(buckets.leases).toBe(2);
    // 190 + 100 refilled, capped at 200, less the new chunk: the 9 unspent tokens are gone.
    expect(buckets.rows.get('key_1')!.tokens).toBe(190);
  });

  it('has concurrent requests share one lease, and answers refusals from memory until the bucket can have a token', async () => {
    const { clock, buckets, process } = setup(100);
    const limiter = process();
    const waits = await Promise.all(Array.from({ length: 25 }, () => limiter.take('key_1')));
    expect(waits.every((w) => w === 0)).toBe(true);
    expect(buckets.leases).toBe(3);

    await takeMany(limiter, 175);
    const leases = buckets.leases;
    expect(await limiter.take('key_1')).toBeCloseTo(10);
    clock.t += 5;
    expect(await limiter.take('key_1')).toBeCloseTo(5);
    expect(buckets.leases).toBe(leases + 1);
    clock.t += 5;
    expect(await limiter.take('key_1')).toBe(0);
  });

  it('allows requests when the bucket cannot be reached, warning at most once every few seconds', async () => {
    const { clock, buckets, warnings, process } = setup(100);
    buckets.lease = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    const limiter = process();
    expect((await takeMany(limiter, 500)).allowed).toBe(500);
    expect(warnings).toHaveLength(1);
    clock.t += 5000;
    await limiter.take('key_1');
    await limiter.take('key_1');
    expect(warnings).toHaveLength(2);
  });

  it('is off at 0', async () => {
    const { buckets, process } = setup(0);
    expect((await takeMany(process(), 1000)).allowed).toBe(1000);
    expect(buckets.leases).toBe(0);
  });
});
