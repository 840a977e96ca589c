import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Unique on its trunk (a trunk belongs to one account): two accounts may hold the same number on their own trunks. */
@Entity({ name: 'phone_numbers' })
@Index('phone_numbers_trunk_number_key', ['trunkId', 'number'], { unique: true })
export class PhoneNumberEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  /** Indexed alone too: an inbound call whose trunk is unknown looks its number up across trunks. */
  @Index() @Column('text') number!: string;
  @Column('text', { name: 'trunk_id' }) trunkId!: string;
  @Column('text', { nullable: true }) label!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
