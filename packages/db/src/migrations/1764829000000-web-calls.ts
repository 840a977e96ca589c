import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Web calls: a call's channel (phone, or a browser over WebRTC; a web call's trunk and numbers are empty strings), the
 * account's own per-minute rate for web calls (null: its phone rate), and each web call's single-use access token
 * (its SHA-256 only) with the conversation snapshot the media service gets when the browser connects.
 */
export class WebCalls1764829000000 implements MigrationInterface {
  name = 'WebCalls1764829000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls ADD COLUMN channel text NOT NULL DEFAULT 'phone'`);
    await q.query(`ALTER TABLE accounts ADD COLUMN web_rate_milli_cents_per_minute integer`);
    await q.query(`
      CREATE TABLE web_call_tokens (
        call_id uuid PRIMARY KEY,
        account_id text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        conversation jsonb NOT NULL,
        max_duration_seconds integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE web_call_tokens`);
    await q.query(`ALTER TABLE accounts DROP COLUMN web_rate_milli_cents_per_minute`);
    await q.query(`ALTER TABLE calls DROP COLUMN channel`);
  }
}
