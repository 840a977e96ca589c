import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each account's do-not-call list: numbers no campaign and no single call may dial. A change NOTIFYs the account like
 * agents and numbers do (an account without a list skips the check on POST /v1/calls).
 */
export class DoNotCall1764827000000 implements MigrationInterface {
  name = 'DoNotCall1764827000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE do_not_call (
        account_id text NOT NULL,
        number text NOT NULL,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, number)
      );
      CREATE INDEX do_not_call_newest ON do_not_call (account_id, created_at DESC, number DESC);
      -- Whether an account has a list at all is part of what a new call is built from (the api caches it).
      CREATE TRIGGER do_not_call_config_changed AFTER INSERT OR DELETE ON do_not_call FOR EACH ROW EXECUTE FUNCTION parley_notify_config_changed();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE do_not_call`);
  }
}
