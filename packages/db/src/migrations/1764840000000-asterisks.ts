import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Asterisks as data: the registry of Asterisks the dialers connect to (`asterisks`, managed with
 * `pnpm parley asterisks ...`; the ARI password sealed like trunk passwords), the Asterisks each trunk may be carried
 * by (`trunks.asterisks`, names; empty: every registered one), the Asterisk each call is on (`calls.asterisk`), and
 * trunk states per trunk and Asterisk. The Asterisk that ARI_URL names is called `default`: existing states move to it.
 */
export class Asterisks1764840000000 implements MigrationInterface {
  name = 'Asterisks1764840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE asterisks (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        ari_url text NOT NULL,
        ari_username text NOT NULL,
        ari_password_encrypted text NOT NULL,
        site text,
        labels text[] NOT NULL DEFAULT '{}',
        capacity integer NOT NULL CHECK (capacity > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE trunks ADD COLUMN asterisks text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE calls ADD COLUMN asterisk text`);
    await q.query(`UPDATE trunk_states SET asterisk = 'default' WHERE asterisk = 'asterisk'`);
    await q.query(`ALTER TABLE trunk_states DROP CONSTRAINT trunk_states_pkey, ADD PRIMARY KEY (trunk_id, asterisk)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM trunk_states a USING trunk_states b WHERE a.trunk_id = b.trunk_id AND a.asterisk > b.asterisk`);
    await q.query(`ALTER TABLE trunk_states DROP CONSTRAINT trunk_states_pkey, ADD PRIMARY KEY (trunk_id)`);
    await q.query(`UPDATE trunk_states SET asterisk = 'asterisk' WHERE asterisk = 'default'`);
    await q.query(`ALTER TABLE calls DROP COLUMN asterisk`);
    await q.query(`ALTER TABLE trunks DROP COLUMN asterisks`);
    await q.query(`DROP TABLE asterisks`);
  }
}
