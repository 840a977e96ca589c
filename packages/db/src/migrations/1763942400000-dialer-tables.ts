import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables owned by the dialer: which dialer processes are alive, and the per-trunk slots and pacing that make
 * `max_concurrent_calls` and `calls_per_second` hold across every dialer sharing a trunk.
 */
export class DialerTables1763942400000 implements MigrationInterface {
  name = 'DialerTables1763942400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dialer_instances (
        dialer_id text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE dialer_trunk_slots (
        call_id uuid PRIMARY KEY,
        trunk_id text NOT NULL,
        dialer_id text NOT NULL,
        state text NOT NULL CHECK (state IN ('waiting', 'active')),
        direction text NOT NULL DEFAULT 'outbound',
        enqueued_at timestamptz NOT NULL,
        start_at timestamptz,
        acquired_at timestamptz
      );
      CREATE INDEX dialer_trunk_slots_fifo_idx ON dialer_trunk_slots(trunk_id, state, enqueued_at, call_id);
      CREATE INDEX dialer_trunk_slots_dialer_idx ON dialer_trunk_slots(dialer_id);
      CREATE TABLE dialer_trunk_pacing (
        trunk_id text PRIMARY KEY,
        next_at timestamptz NOT NULL
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dialer_trunk_pacing, dialer_trunk_slots, dialer_instances`);
  }
}
