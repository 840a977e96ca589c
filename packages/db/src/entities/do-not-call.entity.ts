import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'do_not_call' })
export class DoNotCallEntity {
  @PrimaryColumn('text', { name: 'account_id' }) accountId!: string;
  @PrimaryColumn('text') number!: string;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
}
