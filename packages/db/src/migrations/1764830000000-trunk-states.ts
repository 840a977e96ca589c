import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the dialers know of each trunk as Asterisk sees it: whether its PJSIP objects were pushed (and which version
 * of the trunk), the endpoint's state and its contact's qualify status with the round trip, and when a dialer last
 * read it. One row per trunk, written by the dialers (the last writer wins), read by the api.
 */
export class TrunkStates1764830000000 implements MigrationInterface {
  name = 'TrunkStates1764830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trunk_states (
        trunk_id text PRIMARY KEY REFERENCES trunks(id) ON DELETE CASCADE,
        asterisk text NOT NULL,
        provisioning text,
        provisioning_error text,
        provisioned_version timestamptz,
        provisioned_at timestamptz,
        endpoint_state text,
        contact_status text,
        contact_uri text,
        roundtrip_usec bigint,
        changed_at timestamptz,
        asterisk_connected boolean NOT NULL DEFAULT false,
        checked_at timestamptz,
        stale_after timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE trunk_states`);
  }
}
