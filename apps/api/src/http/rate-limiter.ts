import type { ApiRateBucketsRepository } from '@parley/db';
import type { Logger } from '@parley/service-kit';

/** Where the shared buckets live (Postgres, `ApiRateBucketsRepository`; a fake in unit tests). */
export type RateBuckets = Pick<ApiRateBucketsRepository, 'lease'>;

/** Leased tokens not spent within this are dropped (never handed back): a quiet process holds none for long. */
export const LEASE_TTL_MS = 1000;
/** At most one "cannot lease, allowing" warning per this long. */
const WARN_EVERY_MS = 5000;

interface KeyState {
  /** Whole tokens leased from the shared bucket and not spent yet, usable until `expiresAt`. */
  tokens: number;
  expiresAt: number;
  /** The shared bucket had no whole token: until then it cannot have one (other processes only take). */
  deniedUntil: number;
  leasing: Promise<void> | null;
}

/**
 * Token bucket per key, `perSecond` sustained with bursts of twice that, shared by every api process through
 * Postgres: each process leases up to `chunk` tokens at a time from the key's bucket and spends them locally, so a
 * key's limit holds across processes at one query per chunk, not per request. `take` resolves 0 when allowed, else the
 * ms until the shared bucket has a token again. If the bucket cannot be reached the request is allowed (a rate
 * limiter must not take the API down).
 */
export class RateLimiter {
  /**
   * A tenth of a second of the sustained rate: one lease per ~10 requests at full rate, and what a process can hold
   * unspent (dropped after LEASE_TTL_MS, never over-admitted) stays small next to the 2 s burst.
   */
  readonly chunk: number;
  private readonly keys = new Map<string, KeyState>();
  private lastWarnAt = -Infinity;

  constructor(
    private readonly perSecond: number,
    private readonly buckets: RateBuckets,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.chunk = Math.max(1, Math.ceil(perSecond / 10));
  }

  async take(key: string): Promise<number> {
    if (this.perSecond <= 0) return 0;
    const s = this.keys.get(key) ?? { tokens: 0, expiresAt: 0, deniedUntil: 0, leasing: null };
    this.keys.set(key, s);
    for (;;) {
      const t = this.now();
      if (s.tokens >= 1 && t < s.expiresAt) {
        s.tokens -= 1;
        return 0;
      }
      if (t < s.deniedUntil) return s.deniedUntil - t;
      // One lease at a time per key: concurrent requests share it (and lease again if it fell short for them all).
      s.leasing ??= this.lease(key, s).finally(() => (s.leasing = null));
      await s.leasing;
    }
  }

  private async lease(key: string, s: KeyState): Promise<void> {
    let granted: number;
    let left = 0;
    try {
      ({ granted, tokens: left } = await this.buckets.lease(key, { perSecond: this.perSecond, capacity: this.perSecond * 2, chunk: this.chunk }));
    } catch (err) {
      // Fail open: allow a chunk's worth and try the bucket again after it.
      granted = this.chunk;
      const t = this.now();
      if (t - this.lastWarnAt >= WARN_EVERY_MS) {
        this.lastWarnAt = t;
        this.logger.warn({ err }, 'rate limit bucket unreachable; allowing requests until it is back');
      }
    }
    const t = this.now();
    s.tokens = granted;
    s.expiresAt = t + LEASE_TTL_MS;
    s.deniedUntil = granted > 0 ? 0 : t + ((1 - left) / this.perSecond) * 1000;
  }
}
