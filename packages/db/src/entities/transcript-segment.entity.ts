import type { TranscriptRole } from '@parley/common';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'transcript_segments' })
export class TranscriptSegmentEntity {
  @PrimaryColumn('uuid', { name: 'call_id' }) callId!: string;
  @PrimaryColumn('integer') index!: number;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text') role!: TranscriptRole;
  @Column('text') text!: string;
  @Column('integer', { name: 'start_ms' }) startMs!: number;
  @Column('integer', { name: 'end_ms' }) endMs!: number;
  @Column('boolean') interrupted!: boolean;
  /** The agent's segments: the model that wrote the words (null for fixed phrases and the caller's words). */
  @Column('text', { nullable: true }) model!: string | null;
}
