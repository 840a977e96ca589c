import type { SecretBox } from '../secret-box';
import { resealStoredSecrets, type StoredSecretCounts } from '../stored-secrets';
import { DbRepository } from './db-repository';

/**
 * Every secret Parley stores, across tables (trunk passwords, webhook secrets, tool headers). The statements live in
 * stored-secrets.ts, beside the list of where secrets are, because the migration that sealed them uses it too.
 */
export class StoredSecretsRepository extends DbRepository {
  /**
   * Seals every stored secret under the box's current key, in one transaction: a value that opens with neither key
   * stops it with the place named, and nothing is changed. Answers how many values of each kind were resealed.
   */
  reseal(box: SecretBox): Promise<StoredSecretCounts> {
    return this.db.transaction((m) => resealStoredSecrets(m, box));
  }
}
