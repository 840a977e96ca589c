import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which model wrote an agent's transcript segment: agents may think with models of their own (issue 18). */
export class SegmentModel1764825000000 implements MigrationInterface {
  name = 'SegmentModel1764825000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transcript_segments ADD COLUMN model text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transcript_segments DROP COLUMN model`);
  }
}
