import type { LedgerEntryType } from '@parley/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigint } from './transformers';

/** One movement of an account's credit balance; the entries of an account sum to its balance. */
@Entity({ name: 'credit_ledger' })
export class CreditLedgerEntryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('uuid', { name: 'call_id', nullable: true }) callId!: string | null;
  @Column('text') type!: LedgerEntryType;
  @Column('bigint', { name: 'amount_milli_cents', transformer: bigint }) amountMilliCents!: number;
  @Column('bigint', { name: 'balance_after_milli_cents', transformer: bigint }) balanceAfterMilliCents!: number;
  @Column('text', { nullable: true }) note!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
