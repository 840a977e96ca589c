import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn('text', { name: 'account_id' }) accountId!: string;
  @PrimaryColumn('text') key!: string;
  /** SHA-256 of the canonical request body. */
  @Column('text', { name: 'request_hash' }) requestHash!: string;
  @Column('uuid', { name: 'call_id' }) callId!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
