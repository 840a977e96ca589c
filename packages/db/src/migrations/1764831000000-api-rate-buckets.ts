import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One token bucket per API key shared by every api process, so a key gets its rate limit once, not once per process.
 * Each process leases a few tokens at a time from its key's row and spends them locally. UNLOGGED: a bucket is worth
 * nothing after a crash (an empty table is every bucket full: at worst one extra burst per key), and its updates skip
 * the WAL. `granted` is what the last lease took, kept in the row because ON CONFLICT's RETURNING sees only the new row.
 */
export class ApiRateBuckets1764831000000 implements MigrationInterface {
  name = 'ApiRateBuckets1764831000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE api_rate_buckets (
        key text PRIMARY KEY,
        tokens double precision NOT NULL,
        at timestamptz NOT NULL,
        granted integer NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_rate_buckets`);
  }
}
