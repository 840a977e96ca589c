import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A rotated endpoint secret keeps signing (beside the new one) until it expires, so receivers can switch without a gap. */
export class WebhookSecretRotation1764710000000 implements MigrationInterface {
  name = 'WebhookSecretRotation1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_endpoints ADD COLUMN previous_secret text, ADD COLUMN previous_secret_expires_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_endpoints DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at`);
  }
}
