import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A number is unique on its trunk, not across the install: an inbound call arrives on a trunk, and a trunk belongs to
 * one account, so two accounts may hold the same number on their own trunks (a global unique told account B that A
 * owns it, and let B take it first). The (trunk_id, number) index also serves the per-trunk lookups, so the trunk_id
 * index goes; number keeps a plain index for the inbound fallback that looks a number up across trunks.
 */
export class NumbersPerTrunk1764800000000 implements MigrationInterface {
  name = 'NumbersPerTrunk1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE phone_numbers DROP CONSTRAINT phone_numbers_number_key`);
    await q.query(`DROP INDEX phone_numbers_trunk_idx`);
    await q.query(`CREATE UNIQUE INDEX phone_numbers_trunk_number_key ON phone_numbers (trunk_id, number)`);
    await q.query(`CREATE INDEX phone_numbers_number_idx ON phone_numbers (number)`);
  }

  /** Fails while two trunks hold the same number: which one to drop is the operator's call. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX phone_numbers_number_idx`);
    await q.query(`DROP INDEX phone_numbers_trunk_number_key`);
    await q.query(`CREATE INDEX phone_numbers_trunk_idx ON phone_numbers (trunk_id)`);
    await q.query(`ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_number_key UNIQUE (number)`);
  }
}
