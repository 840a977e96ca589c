import type { WebhookDeliveryStatus } from '@parley/common';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One event to one target (an account endpoint, or the call's own `webhook_url` when `endpoint_id` is null): the
 * outbox row the webhooks service claims and retries until delivered or out of attempts. Its id is the
 * `webhook-id` header, identical on every retry, so receivers can deduplicate.
 */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  /** `msg_...` */
  @PrimaryColumn('text') id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text', { name: 'endpoint_id', nullable: true }) endpointId!: string | null;
  @Column('uuid', { name: 'call_id', nullable: true }) callId!: string | null;
  @Column('text') url!: string;
  @Column('text', { name: 'event_type' }) eventType!: string;
  /** The source event (call event id, or a generated id for test events). */
  @Column('text', { name: 'event_id' }) eventId!: string;
  /** The exact body sent: `{type, timestamp, data}`. */
  @Column('jsonb') payload!: Record<string, unknown>;
  @Column('text') status!: WebhookDeliveryStatus;
  @Column('integer') attempts!: number;
  /** When the next attempt is due; while an attempt runs, the end of its lease. Null once settled. */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt!: Date | null;
  @Column('integer', { name: 'last_status_code', nullable: true }) lastStatusCode!: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('integer', { name: 'last_latency_ms', nullable: true }) lastLatencyMs!: number | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}

/** One HTTP attempt of a delivery: the delivery log shown by the API. */
@Entity({ name: 'webhook_delivery_attempts' })
export class WebhookDeliveryAttemptEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text', { name: 'delivery_id' }) deliveryId!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('integer') attempt!: number;
  @Column('text') url!: string;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('integer', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('integer', { name: 'latency_ms' }) latencyMs!: number;
  @Column('text', { nullable: true }) error!: string | null;
  /** The first bytes of the response body. */
  @Column('text', { name: 'response_body', nullable: true }) responseBody!: string | null;
}
