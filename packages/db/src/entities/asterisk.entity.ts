import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An Asterisk the dialers connect to over ARI (`pnpm parley asterisks add`). */
@Entity({ name: 'asterisks' })
export class AsteriskEntity {
  @PrimaryColumn('text') id!: string;
  /** What trunks (`asterisks`), calls (`asterisk`), trunk states and metrics name it by. */
  @Column('text', { unique: true }) name!: string;
  /** ARI base URL, e.g. `http://10.0.0.5:8088/ari`. */
  @Column('text', { name: 'ari_url' }) ariUrl!: string;
  @Column('text', { name: 'ari_username' }) ariUsername!: string;
  /** AES-256-GCM ciphertext (see secret-box), never the password itself. */
  @Column('text', { name: 'ari_password_encrypted' }) ariPasswordEncrypted!: string;
  @Column('text', { nullable: true }) site!: string | null;
  @Column('text', { array: true }) labels!: string[];
  /** Most concurrent calls placed on it. */
  @Column('integer') capacity!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
