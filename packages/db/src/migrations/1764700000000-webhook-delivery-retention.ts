import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Settled deliveries by when they settled: what the webhooks service's retention deletes, oldest first. */
export class WebhookDeliveryRetention1764700000000 implements MigrationInterface {
  name = 'WebhookDeliveryRetention1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_deliveries_settled_idx ON webhook_deliveries(updated_at) WHERE status <> 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_settled_idx`);
  }
}
