import type { AudioCodecName, TrunkTransport } from '@parley/common';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'trunks' })
@Index(['accountId', 'name'], { unique: true })
export class TrunkEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  /** The built-in trunk routed to the Asterisk simulator. */
  @Column('boolean', { default: false }) sandbox!: boolean;
  @Column('text') host!: string;
  @Column('integer') port!: number;
  @Column('text') transport!: TrunkTransport;
  @Column('text', { nullable: true }) username!: string | null;
  /** AES-256-GCM ciphertext (see secret-box), never the password itself. */
  @Column('text', { name: 'password_encrypted', nullable: true }) passwordEncrypted!: string | null;
  @Column('text', { name: 'from_domain', nullable: true }) fromDomain!: string | null;
  @Column('text', { array: true }) codecs!: AudioCodecName[];
  @Column('integer', { name: 'max_concurrent_calls' }) maxConcurrentCalls!: number;
  @Column('real', { name: 'calls_per_second' }) callsPerSecond!: number;
  @Column('boolean', { default: false }) register!: boolean;
  /** Names of the Asterisks that may carry the trunk's calls; empty: every registered one. */
  @Column('text', { array: true, default: () => `'{}'` }) asterisks!: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
