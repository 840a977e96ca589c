import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigint } from './transformers';

@Entity({ name: 'recordings' })
export class RecordingEntity {
  @PrimaryColumn('uuid', { name: 'call_id' }) callId!: string;
  @Column('text', { name: 'account_id' }) accountId!: string;
  /** The file under RECORDINGS_DIR (store local) or the object key (store s3). */
  @Column('text') path!: string;
  @Column('text') store!: 'local' | 's3';
  @Column('text', { nullable: true }) bucket!: string | null;
  /** spooled: finished on the media process, not uploaded yet; stored: readable from its store. */
  @Column('text') state!: 'spooled' | 'stored';
  @Column('integer', { name: 'duration_ms' }) durationMs!: number;
  @Column('bigint', { transformer: bigint }) bytes!: number;
  @Column('text') format!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
