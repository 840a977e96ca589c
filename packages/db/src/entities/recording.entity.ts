import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigint } from './transformers';

@Entity({ name: 'recordings' })
export class RecordingEntity {
  @PrimaryColumn('uuid', { name: 'call_id' }) callId!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  /** File path under the recordings directory shared by media and api. */
  @Column('text') path!: string;
  @Column('integer', { name: 'duration_ms' }) durationMs!: number;
  @Column('bigint', { transformer: bigint }) bytes!: number;
  @Column('text') format!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
