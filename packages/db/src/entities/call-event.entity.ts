import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Every lifecycle event applied to a call, keyed by event id: the projector's dedupe and the call's audit trail. */
@Entity({ name: 'call_events' })
@Index(['callId', 'at'])
export class CallEventEntity {
  @PrimaryColumn('text') id!: string;
  @Column('uuid', { name: 'call_id' }) callId!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') type!: string;
  @Column('integer') seq!: number;
  @Column('timestamptz') at!: Date;
  @Column('jsonb') data!: Record<string, unknown>;
  @Column('timestamptz', { name: 'received_at', default: () => 'now()' }) receivedAt!: Date;
}
