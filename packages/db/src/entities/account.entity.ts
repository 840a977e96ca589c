import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintNullable } from './transformers';

@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text') name!: string;
  /** Secret (`whsec_...`) that signs webhooks sent to per-call URLs. */
  @Column('text', { name: 'webhook_secret' }) webhookSecret!: string;
  @Column('integer', { name: 'rate_milli_cents_per_minute' }) rateMilliCentsPerMinute!: number;
  /** Web calls' rate; null: the phone rate. */
  @Column('integer', { name: 'web_rate_milli_cents_per_minute', nullable: true }) webRateMilliCentsPerMinute!: number | null;
  @Column('integer', { name: 'billing_increment_seconds' }) billingIncrementSeconds!: number;
  @Column('integer', { name: 'billing_minimum_seconds' }) billingMinimumSeconds!: number;
  /** null = unlimited. */
  @Column('bigint', { name: 'balance_milli_cents', nullable: true, transformer: bigintNullable }) balanceMilliCents!: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
