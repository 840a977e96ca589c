import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dialer ownership leases: each dialer's row in `dialer_instances` carries when its lease runs out (renewed by its
 * heartbeat) and an epoch drawn from one sequence when it starts. A dialer is alive while its lease runs; an
 * ownership-changing write (adopting a call, claiming an inbound channel) is only made by a dialer whose row still
 * holds its epoch and an unexpired lease, so a stalled process cannot act after a restart of the same identity (which
 * takes a new epoch) or after its lease ran out.
 */
export class DialerLeases1764820000000 implements MigrationInterface {
  name = 'DialerLeases1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE SEQUENCE dialer_lease_epoch_seq;
      ALTER TABLE dialer_instances
        ADD COLUMN epoch bigint NOT NULL DEFAULT nextval('dialer_lease_epoch_seq'),
        ADD COLUMN lease_expires_at timestamptz NOT NULL DEFAULT now();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dialer_instances DROP COLUMN lease_expires_at, DROP COLUMN epoch; DROP SEQUENCE dialer_lease_epoch_seq`);
  }
}
