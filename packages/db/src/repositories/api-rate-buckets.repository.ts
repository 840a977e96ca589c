import { DbRepository } from './db-repository';

/** A token bucket's shape: refilled at `perSecond`, holding at most `capacity`; a lease takes at most `chunk`. */
export interface RateBucketShape {
  perSecond: number;
  capacity: number;
  chunk: number;
}

/** What one lease took from a bucket (whole tokens, possibly none) and what it left there. */
export interface RateBucketLease {
  granted: number;
  tokens: number;
}

/** The bucket refilled by the time since its last lease (Postgres's clock, the one every api process shares). */
const REFILLED = `least($3::double precision, b.tokens + greatest(0, extract(epoch FROM EXCLUDED.at - b.at)::double precision) * $2::double precision)`;

/**
 * Token buckets shared by the api processes (`api_rate_buckets`, one per rate-limited key). A key without a row has a
 * full bucket.
 */
export class ApiRateBucketsRepository extends DbRepository {
  /**
   * Refills `key`'s bucket and takes min(chunk, its whole tokens) from it, in one statement (the row lock orders
   * concurrent leases), creating it full on first use.
   */
  async lease(key: string, shape: RateBucketShape): Promise<RateBucketLease> {
    const rows = (await this.db.query(
      `INSERT INTO api_rate_buckets AS b (key, tokens, at, granted)
       VALUES ($1, $3::double precision - least($4::integer, floor($3::double precision)::integer), clock_timestamp(), least($4::integer, floor($3::double precision)::integer))
       ON CONFLICT (key) DO UPDATE SET
         granted = least($4::integer, floor(${REFILLED})::integer),
         tokens = ${REFILLED} - least($4::integer, floor(${REFILLED})::integer),
         at = EXCLUDED.at
       RETURNING granted, tokens`,
      [key, shape.perSecond, shape.capacity, shape.chunk],
    )) as Array<{ granted: number; tokens: number }>;
    return { granted: rows[0]!.granted, tokens: rows[0]!.tokens };
  }
}
