import type { WebhookEventType } from '@parley/common';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An account's webhook endpoint: receives the event types it subscribes to, across all calls. */
@Entity({ name: 'webhook_endpoints' })
@Index('webhook_endpoints_account_idx', ['accountId', 'createdAt', 'id'])
export class WebhookEndpointEntity {
  /** `we_...` */
  @PrimaryColumn('text') id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') url!: string;
  @Column('text', { array: true }) events!: WebhookEventType[];
  @Column('text', { nullable: true }) description!: string | null;
  @Column('boolean') enabled!: boolean;
  /** Standard Webhooks signing secret (`whsec_...`). */
  @Column('text') secret!: string;
  /** The secret before the last rotation: it signs too (beside `secret`) until `previousSecretExpiresAt`. */
  @Column('text', { name: 'previous_secret', nullable: true }) previousSecret!: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt!: Date | null;
  /** Why the service disabled it (e.g. the endpoint answered 410 Gone); null when enabled or disabled by the user. */
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason!: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}
