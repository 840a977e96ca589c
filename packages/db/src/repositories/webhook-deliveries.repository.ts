import type { WebhookDeliveryStatus, WebhookPayload } from '@parley/common';
import { In } from 'typeorm';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** Whose deliveries to list: an endpoint's, or those about a call (its per-call webhook's and every endpoint's). */
export type DeliveryScope = { endpointId: string } | { callId: string };

/** A delivery to add to the outbox; its id (`msg_...`) is made by the caller. */
export interface NewWebhookDelivery {
  id: string;
  accountId: string;
  /** null: the call's own webhook_url. */
  endpointId: string | null;
  callId: string | null;
  url: string;
  eventType: string;
  eventId: string;
  payload: WebhookPayload;
}

/** A due delivery leased to one worker, with what it needs to sign and send it. */
export interface ClaimedWebhookDelivery extends Omit<NewWebhookDelivery, 'eventId'> {
  /** Attempts made before this one. */
  attempts: number;
  endpointUrl: string | null;
  /** The signing secrets below are as stored: sealed (SecretBox). */
  endpointSecret: string | null;
  /** The endpoint's secret before its last rotation, while it still signs. */
  endpointPreviousSecret: string | null;
  endpointEnabled: boolean | null;
  accountSecret: string;
}

/** Where an attempt leaves its delivery: delivered, due again at a time, or failed for good. */
export type DeliverySettlement = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' };

/** What the log keeps of one HTTP attempt. */
export interface DeliveryAttemptLog {
  startedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** First bytes of the response body. */
  responseBody: string | null;
}

/** One attempt of delivery `id` to `url`, and the settlement it leads to. */
export interface DeliveryAttempt {
  id: string;
  url: string;
  outcome: DeliveryAttemptLog;
  next: DeliverySettlement;
}

/**
 * The `webhook_deliveries` outbox and its attempt log. Rows are claimed with `FOR UPDATE SKIP LOCKED` and leased
 * (their next_attempt_at pushed past the lease), so no two workers send a row at once and a crash mid-send only
 * delays it. The outbox statements take many rows at once: the webhooks service batches concurrent writes into one.
 * The api reads the log and makes deliveries due again (a test event or a retry).
 */
export class WebhookDeliveriesRepository extends DbRepository {
  private get deliveries() {
    return this.db.getRepository(WebhookDeliveryEntity);
  }

  /**
   * Adds pending deliveries, due now; one per (event, target), so a row for an event and target already there is
   * skipped. Returns the ids of those inserted.
   */
  async enqueue(rows: NewWebhookDelivery[]): Promise<Set<string>> {
    const inserted: Array<{ id: string }> = await this.db.query(
      `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, status, attempts, next_attempt_at)
       SELECT id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, 'pending', 0, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
         AS t(id, account_id, endpoint_id, call_id, url, event_type, event_id, payload)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.accountId),
        rows.map((r) => r.endpointId),
        rows.map((r) => r.callId),
        rows.map((r) => r.url),
        rows.map((r) => r.eventType),
        rows.map((r) => r.eventId),
        rows.map((r) => JSON.stringify(r.payload)),
      ],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /**
   * Leases up to `limit` due deliveries, oldest due first, for `leaseMs`: rows another worker holds are skipped, and
   * a claimed row is due again once the lease runs out. A rotated endpoint secret comes along while it still signs.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedWebhookDelivery[]> {
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
       SELECT c.*, e.url AS endpoint_url, e.secret AS endpoint_secret, e.enabled AS endpoint_enabled, a.webhook_secret AS account_secret,
              CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS endpoint_previous_secret
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
      payload: r.payload as WebhookPayload,
      attempts: r.attempts as number,
      endpointUrl: r.endpoint_url as string | null,
      endpointSecret: r.endpoint_secret as string | null,
      endpointPreviousSecret: r.endpoint_previous_secret as string | null,
      endpointEnabled: r.endpoint_enabled as boolean | null,
      accountSecret: r.account_secret as string,
    }));
  }

  /**
   * Settles each attempt's delivery (one more attempt counted) and logs the attempt, in one statement. A delivery
   * settled meanwhile (e.g. after its lease ran out and another worker took it) is left alone, its attempt unlogged.
   */
  async recordAttempts(records: DeliveryAttempt[]): Promise<void> {
    await this.db.query(
      `WITH v AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::text[])
           AS t(id, status, next_at, status_code, error, latency_ms, url, started_at, response_body)
       ), u AS (
         UPDATE webhook_deliveries d
         SET status = v.status, attempts = d.attempts + 1, next_attempt_at = v.next_at, last_status_code = v.status_code, last_error = v.error,
             last_latency_ms = v.latency_ms, delivered_at = CASE WHEN v.status = 'delivered' THEN now() ELSE d.delivered_at END, updated_at = now()
         FROM v
         WHERE d.id = v.id AND d.status = 'pending'
         RETURNING d.id, d.account_id, d.attempts
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, account_id, attempt, url, started_at, status_code, latency_ms, error, response_body)
       SELECT u.id, u.account_id, u.attempts, v.url, v.started_at, v.status_code, v.latency_ms, v.error, v.response_body FROM u JOIN v ON v.id = u.id`,
      [
        records.map((r) => r.id),
        records.map((r) => r.next.status),
        records.map((r) => (r.next.status === 'pending' ? r.next.nextAttemptAt : null)),
        records.map((r) => r.outcome.statusCode),
        records.map((r) => r.outcome.error),
        records.map((r) => r.outcome.latencyMs),
        records.map((r) => r.url),
        records.map((r) => r.outcome.startedAt),
        records.map((r) => r.outcome.responseBody),
      ],
    );
  }

  /** Fails a pending delivery that will not be attempted (e.g. its endpoint was disabled). */
  async failUnsent(accountId: string, id: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $3, updated_at = now() WHERE id = $1 AND account_id = $2 AND status = 'pending'`,
      [id, accountId, error],
    );
  }

  /** Whether the call's own webhook_url already has a delivery for this event (a redelivered event). */
  async hasCallDelivery(accountId: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id IS NULL AND account_id = $2`, [eventId, accountId]);
    return rows.length > 0;
  }

  /** Deliveries not yet settled, and how many of them are due now (across accounts: the service's backlog). */
  async backlog(): Promise<{ pending: number; due: number }> {
    const [row] = await this.db.query(
      `SELECT count(*)::int AS pending, count(*) FILTER (WHERE next_attempt_at <= now())::int AS due FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return row as { pending: number; due: number };
  }

  /**
   * Deletes up to `limit` deliveries settled (delivered or failed) before `cutoff`, oldest first, with their
   * attempts; returns how many. Pending ones stay whatever their age.
   */
  async deleteSettledBefore(cutoff: Date, limit: number): Promise<number> {
    const [, count] = (await this.db.query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2)`,
      [cutoff, limit],
    )) as [unknown, number];
    return count;
  }

  // --- the delivery log (the api)

  get(accountId: string, id: string): Promise<WebhookDeliveryEntity | null> {
    return this.deliveries.findOneBy({ id, accountId });
  }

  /** The scope's deliveries (an endpoint's, or a call's), newest first, of one status or all. */
  listFor(accountId: string, scope: DeliveryScope, status: WebhookDeliveryStatus | undefined, page: { limit: number; after: PageCursor | null }): Promise<Page<WebhookDeliveryEntity>> {
    const qb = this.deliveries.createQueryBuilder('d').where('d.account_id = :accountId', { accountId });
    if ('endpointId' in scope) qb.andWhere('d.endpoint_id = :endpointId', { endpointId: scope.endpointId });
    else qb.andWhere('d.call_id = :callId', { callId: scope.callId });
    if (status) qb.andWhere('d.status = :status', { status });
    return newestFirst(qb, 'd', page);
  }

  /** Where a page of the scope's deliveries after this one starts; null when the scope has no such delivery. */
  cursor(accountId: string, scope: DeliveryScope, id: string): Promise<PageCursor | null> {
    return this.deliveries.findOne({ where: { id, accountId, ...scope }, select: { id: true, createdAt: true } });
  }

  /** The attempts of these deliveries, each delivery's in order. */
  attemptsOf(accountId: string, deliveryIds: string[]): Promise<WebhookDeliveryAttemptEntity[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.db.getRepository(WebhookDeliveryAttemptEntity).find({ where: { accountId, deliveryId: In(deliveryIds) }, order: { deliveryId: 'ASC', attempt: 'ASC' } });
  }

  /** Due now: a settled delivery gets one more attempt, a pending one is brought forward. */
  async makeDue(accountId: string, id: string): Promise<void> {
    await this.deliveries.update({ id, accountId }, { status: 'pending', nextAttemptAt: new Date(), updatedAt: new Date() });
  }
}
