import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1732406400000 implements MigrationInterface {
  name = 'InitialSchema1732406400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        webhook_secret text NOT NULL,
        rate_milli_cents_per_minute integer NOT NULL CHECK (rate_milli_cents_per_minute >= 0),
        billing_increment_seconds integer NOT NULL CHECK (billing_increment_seconds >= 1),
        billing_minimum_seconds integer NOT NULL CHECK (billing_minimum_seconds >= 0),
        balance_milli_cents bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_account_idx ON api_keys(account_id);
      CREATE TABLE trunks (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        sandbox boolean NOT NULL DEFAULT false,
        host text NOT NULL,
        port integer NOT NULL,
        transport text NOT NULL CHECK (transport IN ('udp','tcp','tls')),
        username text,
        password_encrypted text,
        from_domain text,
        codecs text[] NOT NULL,
        max_concurrent_calls integer NOT NULL,
        calls_per_second real NOT NULL,
        register boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, name)
      );
      CREATE TABLE phone_numbers (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        number text NOT NULL UNIQUE,
        trunk_id text NOT NULL REFERENCES trunks(id),
        label text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX phone_numbers_account_idx ON phone_numbers(account_id);
      CREATE INDEX phone_numbers_trunk_idx ON phone_numbers(trunk_id);
      CREATE TABLE agents (
        id uuid PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('outbound','inbound')),
        persona text,
        instructions text,
        voice text,
        language text NOT NULL,
        returns jsonb,
        tools jsonb NOT NULL DEFAULT '[]',
        voicemail_action text NOT NULL,
        voicemail_message text,
        initial_greeting text,
        webhook_url text,
        number_ids text[] NOT NULL DEFAULT '{}',
        primary_number_id text,
        max_duration_seconds integer NOT NULL,
        ring_timeout_seconds integer NOT NULL,
        llm jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX agents_account_idx ON agents(account_id);
      CREATE INDEX agents_number_ids_idx ON agents USING gin(number_ids);
      CREATE TABLE calls (
        id uuid PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        agent_id uuid NOT NULL,
        trunk_id text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('outbound','inbound')),
        status text NOT NULL CHECK (status IN ('queued','initiated','ringing','in_progress','completed','no_answer','busy','canceled','failed')),
        to_number text NOT NULL,
        from_number text NOT NULL,
        persona text,
        instructions text,
        prompt text NOT NULL,
        context jsonb NOT NULL DEFAULT '{}',
        returns jsonb,
        result jsonb,
        result_status text NOT NULL DEFAULT 'pending',
        result_error text,
        language text NOT NULL,
        webhook_url text,
        webhook_status text,
        webhook_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        answered_at timestamptz,
        ended_at timestamptz,
        duration_seconds integer,
        billed_duration_seconds integer,
        billing_amount_milli_cents bigint,
        reservation_status text,
        reserved_milli_cents bigint,
        error_code text,
        error_message text,
        hangup_cause text,
        hangup_cause_code integer,
        answered_by text,
        latency jsonb,
        metadata jsonb NOT NULL DEFAULT '{}',
        max_duration_seconds integer NOT NULL,
        ring_timeout_seconds integer NOT NULL,
        channel_id text,
        dialer_id text,
        completed_published_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX calls_account_created_idx ON calls(account_id, created_at DESC, id DESC);
      CREATE INDEX calls_agent_idx ON calls(agent_id);
      CREATE INDEX calls_from_number_idx ON calls(account_id, from_number);
      CREATE INDEX calls_live_status_idx ON calls(status) WHERE status IN ('queued','initiated','ringing','in_progress');
      CREATE TABLE call_events (
        id text PRIMARY KEY,
        call_id uuid NOT NULL,
        account_id text NOT NULL,
        type text NOT NULL,
        seq integer NOT NULL,
        at timestamptz NOT NULL,
        data jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX call_events_call_idx ON call_events(call_id, at);
      CREATE TABLE transcript_segments (
        call_id uuid NOT NULL,
        index integer NOT NULL,
        account_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('agent','user')),
        text text NOT NULL,
        start_ms integer NOT NULL,
        end_ms integer NOT NULL,
        interrupted boolean NOT NULL DEFAULT false,
        PRIMARY KEY (call_id, index)
      );
      CREATE TABLE recordings (
        call_id uuid PRIMARY KEY,
        account_id text NOT NULL,
        path text NOT NULL,
        duration_ms integer NOT NULL,
        bytes bigint NOT NULL,
        format text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE outbox_messages (
        id bigserial PRIMARY KEY,
        subject text NOT NULL,
        msg_id text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE credit_ledger (
        id bigserial PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        call_id uuid,
        type text NOT NULL CHECK (type IN ('set','add','reserve','release','charge')),
        amount_milli_cents bigint NOT NULL,
        balance_after_milli_cents bigint NOT NULL,
        note text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX credit_ledger_account_idx ON credit_ledger(account_id, id DESC);
      CREATE TABLE idempotency_keys (
        account_id text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        call_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, key)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys, credit_ledger, outbox_messages, recordings, transcript_segments, call_events, calls, agents, phone_numbers, trunks, api_keys, accounts`);
  }
}
