import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  /** The first characters of the key, shown in listings (`sk_live_AbC1`). */
  @Column('text') prefix!: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  @Index({ unique: true }) @Column('text', { name: 'key_hash' }) keyHash!: string;
  @Column('text', { nullable: true }) name!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
