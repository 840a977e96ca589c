import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The media process that answered a web call's offer (and that process's start), so the api can tell within seconds
 * that the process holding a connected web call died (its adverts stopped), as the dialer does for phone calls.
 */
export class WebCallHolders1764834000000 implements MigrationInterface {
  name = 'WebCallHolders1764834000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE web_call_tokens ADD COLUMN media_id text, ADD COLUMN media_started_at text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE web_call_tokens DROP COLUMN media_id, DROP COLUMN media_started_at`);
  }
}
