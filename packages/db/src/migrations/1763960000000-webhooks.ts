import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables owned by the webhooks service: account endpoints, and the delivery outbox whose rows are claimed with
 * `FOR UPDATE SKIP LOCKED` (so retries survive restarts and several workers never send one row at once), plus one
 * row per HTTP attempt for the delivery log.
 */
export class Webhooks1763960000000 implements MigrationInterface {
  name = 'Webhooks1763960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL,
        description text,
        enabled boolean NOT NULL DEFAULT true,
        secret text NOT NULL,
        disabled_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints(account_id, created_at, id);
      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        endpoint_id text REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        call_id uuid,
        url text NOT NULL,
        event_type text NOT NULL,
        event_id text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending','delivered','failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        last_latency_ms integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- One delivery per (source event, target): a redelivered NATS message never enqueues twice.
      CREATE UNIQUE INDEX webhook_deliveries_event_target_idx ON webhook_deliveries(event_id, (coalesce(endpoint_id, '')));
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries(endpoint_id, created_at DESC);
      CREATE INDEX webhook_deliveries_call_idx ON webhook_deliveries(call_id);
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        account_id text NOT NULL,
        attempt integer NOT NULL,
        url text NOT NULL,
        started_at timestamptz NOT NULL,
        status_code integer,
        latency_ms integer NOT NULL,
        error text,
        response_body text
      );
      CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts(delivery_id, attempt);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempts, webhook_deliveries, webhook_endpoints`);
  }
}
