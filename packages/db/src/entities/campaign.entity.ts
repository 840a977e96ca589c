import type { AttemptOutcome, CampaignRetry, CampaignSchedule, CampaignStatus, RecipientState } from '@parley/common';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'campaigns' })
export class CampaignEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  @Column('uuid', { name: 'agent_id' }) agentId!: string;
  @Column('text', { name: 'from_number', nullable: true }) fromNumber!: string | null;
  @Column('text') status!: CampaignStatus;
  @Column('text', { name: 'paused_reason', nullable: true }) pausedReason!: string | null;
  @Column('jsonb') schedule!: CampaignSchedule;
  @Column('integer', { name: 'max_concurrent_calls' }) maxConcurrentCalls!: number;
  @Column('jsonb') retry!: CampaignRetry;
  @Column('text', { name: 'webhook_url', nullable: true }) webhookUrl!: string | null;
  @Column('jsonb') metadata!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
}

@Entity({ name: 'campaign_recipients' })
export class CampaignRecipientEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text', { name: 'to_number' }) toNumber!: string;
  @Column('jsonb') context!: Record<string, unknown>;
  @Column('jsonb') metadata!: Record<string, unknown>;
  @Column('text', { nullable: true }) timezone!: string | null;
  @Column('text') state!: RecipientState;
  @Column('text', { nullable: true }) outcome!: AttemptOutcome | null;
  @Column('integer') attempts!: number;
  @Column('uuid', { name: 'call_id', nullable: true }) callId!: string | null;
  @Column('uuid', { name: 'call_ids', array: true }) callIds!: string[];
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
