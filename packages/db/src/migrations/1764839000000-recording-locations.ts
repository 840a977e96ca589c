import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each recording is kept (local disk or an S3 bucket) and whether it is there yet (spooled on the media process
 * until its upload is confirmed), so an api on any machine can stream it. Existing rows are local and stored.
 */
export class RecordingLocations1764839000000 implements MigrationInterface {
  name = 'RecordingLocations1764839000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recordings
      ADD COLUMN store text NOT NULL DEFAULT 'local' CHECK (store IN ('local','s3')),
      ADD COLUMN bucket text,
      ADD COLUMN state text NOT NULL DEFAULT 'stored' CHECK (state IN ('spooled','stored'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recordings DROP COLUMN store, DROP COLUMN bucket, DROP COLUMN state`);
  }
}
