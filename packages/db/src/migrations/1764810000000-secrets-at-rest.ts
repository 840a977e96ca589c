import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SecretBox, secretBoxFromEnv } from '../secret-box';
import { rewriteStoredSecrets } from '../stored-secrets';

/**
 * Webhook signing secrets (accounts' and endpoints', current and previous) and HTTP tool header values are sealed
 * at rest like trunk passwords. The plaintext rows of an install that upgrades are sealed here, with the key the
 * migrating service has (`PARLEY_SECRET_KEY`, resolved as the services resolve it), so an upgrade needs no extra
 * step; every service of one install must share that key, as they already must for trunk passwords.
 */
export class SecretsAtRest1764810000000 implements MigrationInterface {
  name = 'SecretsAtRest1764810000000';

  async up(q: QueryRunner): Promise<void> {
    const box = secretBoxFromEnv();
    await rewriteStoredSecrets(q, (value) => (SecretBox.isSealed(value) ? null : box.seal(value)));
  }

  async down(q: QueryRunner): Promise<void> {
    const box = secretBoxFromEnv();
    await rewriteStoredSecrets(q, (value, kind) => (kind === 'trunk_password' || !SecretBox.isSealed(value) ? null : box.open(value)));
  }
}
