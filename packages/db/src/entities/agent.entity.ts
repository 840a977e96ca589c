import type { AgentConversation, AgentType, VoicemailAction } from '@parley/common';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryColumn('uuid') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  @Column('text') type!: AgentType;
  @Column('text', { nullable: true }) persona!: string | null;
  @Column('text', { nullable: true }) instructions!: string | null;
  @Column('text', { nullable: true }) voice!: string | null;
  @Column('text') language!: string;
  /** As given by the user (short form or JSON Schema); normalise with `normalizeReturns`. */
  @Column('jsonb', { nullable: true }) returns!: Record<string, unknown> | null;
  @Column('jsonb') tools!: unknown[];
  @Column('text', { name: 'voicemail_action' }) voicemailAction!: VoicemailAction;
  @Column('text', { name: 'voicemail_message', nullable: true }) voicemailMessage!: string | null;
  @Column('text', { name: 'initial_greeting', nullable: true }) initialGreeting!: string | null;
  @Column('text', { name: 'webhook_url', nullable: true }) webhookUrl!: string | null;
  /** Attached numbers in the order given; the primary one is the default caller ID. */
  @Column('text', { name: 'number_ids', array: true }) numberIds!: string[];
  @Column('text', { name: 'primary_number_id', nullable: true }) primaryNumberId!: string | null;
  @Column('integer', { name: 'max_duration_seconds' }) maxDurationSeconds!: number;
  @Column('integer', { name: 'ring_timeout_seconds' }) ringTimeoutSeconds!: number;
  @Column('jsonb') llm!: Record<string, unknown>;
  @Column('jsonb') conversation!: AgentConversation;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
