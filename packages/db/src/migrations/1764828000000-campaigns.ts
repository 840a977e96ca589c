import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns: a list of recipients called under one agent, within calling hours, with retries. Each recipient row is
 * the unit the scheduler claims (FOR UPDATE SKIP LOCKED): its state says whether an attempt is live, so two
 * schedulers, or one restarted after a kill, never call a recipient twice at once. Calls carry their campaign.
 */
export class Campaigns1764828000000 implements MigrationInterface {
  name = 'Campaigns1764828000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaigns (
        id uuid PRIMARY KEY,
        account_id text NOT NULL,
        name text NOT NULL,
        agent_id uuid NOT NULL,
        from_number text,
        status text NOT NULL,
        paused_reason text,
        schedule jsonb NOT NULL,
        max_concurrent_calls integer NOT NULL,
        retry jsonb NOT NULL,
        webhook_url text,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz
      );
      CREATE INDEX campaigns_account_created_idx ON campaigns (account_id, created_at, id);
      CREATE INDEX campaigns_active_idx ON campaigns (status) WHERE status IN ('scheduled', 'running');
      CREATE TABLE campaign_recipients (
        id uuid PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        account_id text NOT NULL,
        to_number text NOT NULL,
        context jsonb NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        timezone text,
        state text NOT NULL DEFAULT 'pending',
        outcome text,
        attempts integer NOT NULL DEFAULT 0,
        call_id uuid,
        call_ids uuid[] NOT NULL DEFAULT '{}',
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (campaign_id, to_number)
      );
      CREATE INDEX campaign_recipients_due_idx ON campaign_recipients (campaign_id, next_attempt_at) WHERE state = 'pending';
      CREATE INDEX campaign_recipients_live_idx ON campaign_recipients (campaign_id) WHERE state = 'in_progress';
      CREATE INDEX campaign_recipients_list_idx ON campaign_recipients (campaign_id, created_at, id);
      ALTER TABLE calls ADD COLUMN campaign_id uuid;
      CREATE INDEX calls_campaign_idx ON calls (account_id, campaign_id) WHERE campaign_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls DROP COLUMN campaign_id; DROP TABLE campaign_recipients; DROP TABLE campaigns`);
  }
}
