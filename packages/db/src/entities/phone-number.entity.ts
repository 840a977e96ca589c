import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'phone_numbers' })
export class PhoneNumberEntity {
  @PrimaryColumn('text') id!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  /** Unique across the install: an inbound call is routed by the number dialed. */
  @Index({ unique: true }) @Column('text') number!: string;
  @Index() @Column('text', { name: 'trunk_id' }) trunkId!: string;
  @Column('text', { nullable: true }) label!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
