import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A JetStream message written in the same transaction as the row it announces; deleted once JetStream acked it. */
@Entity({ name: 'outbox_messages' })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') subject!: string;
  /** JetStream message id (`Nats-Msg-Id`), so a republish after a crash is deduplicated. */
  @Column('text', { name: 'msg_id' }) msgId!: string;
  @Column('jsonb') payload!: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
