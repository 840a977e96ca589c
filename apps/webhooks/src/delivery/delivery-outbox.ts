import { randomBytes } from 'node:crypto';
import type { DataSource } from '@parley/db';
import type { AttemptOutcome } from './webhook-sender';

export interface NewDelivery {
  accountId: string;
  /** null: the call's own webhook_url. */
  endpointId: string | null;
  callId: string | null;
  url: string;
  eventType: string;
  eventId: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface ClaimedDelivery {
  id: string;
  accountId: string;
  endpointId: string | null;
  callId: string | null;
  url: string;
  eventType: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Attempts made before this one. */
  attempts: number;
  endpointUrl: string | null;
  endpointSecret: string | null;
  endpointEnabled: boolean | null;
  accountSecret: string;
}

export type Settlement = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' };

export function newDeliveryId(): string {
  return `msg_${randomBytes(15).toString('base64url')}`;
}

/**
 * The `webhook_deliveries` outbox. Rows are claimed with `FOR UPDATE SKIP LOCKED` and leased (their
 * next_attempt_at pushed past the lease), so no two workers send a row at once and a crash mid-send only delays it.
 */
export class DeliveryOutbox {
  constructor(private readonly db: DataSource) {}

  /** Inserts deliveries; one per (event, target), so a redelivered event adds nothing. Returns those inserted. */
  async enqueue(rows: NewDelivery[]): Promise<Array<{ id: string; endpointId: string | null; callId: string | null }>> {
    if (rows.length === 0) return [];
    const inserted: Array<{ id: string; endpoint_id: string | null; call_id: string | null }> = await this.db.query(
      `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, status, attempts, next_attempt_at)
       SELECT id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, 'pending', 0, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
         AS t(id, account_id, endpoint_id, call_id, url, event_type, event_id, payload)
       ON CONFLICT DO NOTHING
       RETURNING id, endpoint_id, call_id`,
      [
        rows.map(() => newDeliveryId()),
        rows.map((r) => r.accountId),
        rows.map((r) => r.endpointId),
        rows.map((r) => r.callId),
        rows.map((r) => r.url),
        rows.map((r) => r.eventType),
        rows.map((r) => r.eventId),
        rows.map((r) => JSON.stringify(r.payload)),
      ],
    );
    return inserted.map((r) => ({ id: r.id, endpointId: r.endpoint_id, callId: r.call_id }));
  }

  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows: Array<Record<string, unknown>> = await this.db.query(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.account_id, d.endpoint_id, d.call_id, d.url, d.event_type, d.payload, d.attempts
       )
       SELECT c.*, e.url AS endpoint_url, e.secret AS endpoint_secret, e.enabled AS endpoint_enabled, a.webhook_secret AS account_secret
       FROM claimed c
       JOIN accounts a ON a.id = c.account_id
       LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id as string,
      accountId: r.account_id as string,
      endpointId: r.endpoint_id as string | null,
      callId: r.call_id as string | null,
      url: r.url as string,
      eventType: r.event_type as string,
      payload: r.payload as ClaimedDelivery['payload'],
      attempts: r.attempts as number,
      endpointUrl: r.endpoint_url as string | null,
      endpointSecret: r.endpoint_secret as string | null,
      endpointEnabled: r.endpoint_enabled as boolean | null,
      accountSecret: r.account_secret as string,
    }));
  }

  /** Settles one attempt and logs it, in one statement. A row settled meanwhile (e.g. by a lease overrun) is left alone. */
  async recordAttempt(d: ClaimedDelivery, url: string, outcome: AttemptOutcome, next: Settlement): Promise<void> {
    await this.db.query(
      `WITH u AS (
         UPDATE webhook_deliveries
         SET status = $2::text, attempts = attempts + 1, next_attempt_at = $3, last_status_code = $4, last_error = $5, last_latency_ms = $6,
             delivered_at = CASE WHEN $2::text = 'delivered' THEN now() ELSE delivered_at END, updated_at = now()
         WHERE id = $1 AND status = 'pending'
         RETURNING id, account_id, attempts
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, account_id, attempt, url, started_at, status_code, latency_ms, error, response_body)
       SELECT id, account_id, attempts, $7, $8, $4, $6, $5, $9 FROM u`,
      [
        d.id,
        next.status,
        next.status === 'pending' ? next.nextAttemptAt : null,
        outcome.statusCode,
        outcome.error,
        outcome.latencyMs,
        url,
        outcome.startedAt,
        outcome.responseBody,
      ],
    );
  }

  /** Fails a delivery that will not be attempted (its endpoint was disabled). */
  async failUnsent(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $2, updated_at = now() WHERE id = $1 AND status = 'pending'`, [id, error]);
  }

  async disableEndpoint(endpointId: string, reason: string): Promise<void> {
    await this.db.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1`, [endpointId, reason]);
  }
}
