import type { AnsweredBy, CallChannel, CallDirection, CallLatency, CallStatus, ReservationStatus, ResultStatus, WebhookStatus } from '@parley/common';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNullable } from './transformers';

@Entity({ name: 'calls' })
@Index('calls_account_created_idx', ['accountId', 'createdAt', 'id'])
@Index('calls_live_status_idx', ['status'], { where: `status IN ('queued','initiated','ringing','in_progress')` })
export class CallEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Index() @Column('uuid', { name: 'agent_id' }) agentId!: string;
  @Column('text', { name: 'trunk_id' }) trunkId!: string;
  @Column('text') direction!: CallDirection;
  /** phone, or web (a browser over WebRTC: its trunk and numbers are empty strings). */
  @Column('text', { default: 'phone' }) channel!: CallChannel;
  @Column('text') status!: CallStatus;
  @Column('text', { name: 'to_number' }) toNumber!: string;
  @Index() @Column('text', { name: 'from_number' }) fromNumber!: string;
  @Column('text', { nullable: true }) persona!: string | null;
  @Column('text', { nullable: true }) instructions!: string | null;
  @Column('text') prompt!: string;
  @Column('jsonb') context!: Record<string, unknown>;
  @Column('jsonb', { nullable: true }) returns!: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) result!: Record<string, unknown> | null;
  @Column('text', { name: 'result_status' }) resultStatus!: ResultStatus;
  @Column('text', { name: 'result_error', nullable: true }) resultError!: string | null;
  @Column('text') language!: string;
  @Column('text', { name: 'webhook_url', nullable: true }) webhookUrl!: string | null;
  @Column('text', { name: 'webhook_status', nullable: true }) webhookStatus!: WebhookStatus | null;
  @Column('text', { name: 'webhook_error', nullable: true }) webhookError!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'answered_at', nullable: true }) answeredAt!: Date | null;
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt!: Date | null;
  @Column('integer', { name: 'duration_seconds', nullable: true }) durationSeconds!: number | null;
  @Column('integer', { name: 'billed_duration_seconds', nullable: true }) billedDurationSeconds!: number | null;
  @Column('bigint', { name: 'billing_amount_milli_cents', nullable: true, transformer: bigintNullable }) billingAmountMilliCents!: number | null;
  @Column('text', { name: 'reservation_status', nullable: true }) reservationStatus!: ReservationStatus | null;
  @Column('bigint', { name: 'reserved_milli_cents', nullable: true, transformer: bigintNullable }) reservedMilliCents!: number | null;
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage!: string | null;
  @Column('text', { name: 'hangup_cause', nullable: true }) hangupCause!: string | null;
  @Column('integer', { name: 'hangup_cause_code', nullable: true }) hangupCauseCode!: number | null;
  @Column('text', { name: 'answered_by', nullable: true }) answeredBy!: AnsweredBy | null;
  @Column('jsonb', { nullable: true }) latency!: CallLatency | null;
  @Column('jsonb') metadata!: Record<string, unknown>;
  /** The campaign that placed the call, if one did. */
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId!: string | null;
  @Column('integer', { name: 'max_duration_seconds' }) maxDurationSeconds!: number;
  @Column('integer', { name: 'ring_timeout_seconds' }) ringTimeoutSeconds!: number;
  @Column('text', { name: 'channel_id', nullable: true }) channelId!: string | null;
  @Column('text', { name: 'dialer_id', nullable: true }) dialerId!: string | null;
  /** The Asterisk carrying the call (its registry name, `default` for ARI_URL's, `sandbox` for the simulator). */
  @Column('text', { nullable: true }) asterisk!: string | null;
  /** When the api published the `completed` event (terminal and result settled); null until then. */
  @Column('timestamptz', { name: 'completed_published_at', nullable: true }) completedPublishedAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
