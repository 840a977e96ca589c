import { ApiKeyEntity } from '../entities/api-key.entity';
import { returnedRows } from '../rows';
import { DbRepository } from './db-repository';

/** A key as written: its hash and visible prefix, never the key. */
export type NewApiKey = Pick<ApiKeyEntity, 'id' | 'accountId' | 'prefix' | 'keyHash' | 'name'>;

/** The account a valid key acts for. */
export interface ActiveApiKey {
  id: string;
  accountId: string;
}

/** Accounts' API keys, stored as hashes. */
export class ApiKeysRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(ApiKeyEntity);
  }

  async create(key: NewApiKey): Promise<void> {
    await this.repo.insert({ ...key, revokedAt: null });
  }

  /** The key with this hash, unless it is revoked. */
  async findActive(keyHash: string): Promise<ActiveApiKey | null> {
    const rows: Array<{ id: string; account_id: string }> = await this.db.query('SELECT id, account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash]);
    const row = rows[0];
    return row ? { id: row.id, accountId: row.account_id } : null;
  }

  /**
   * Revokes a key and, in the same transaction, NOTIFYs `channel` with its hash (api processes cache the keys they
   * have seen). False when there is no active key with this id.
   */
  revokeAndNotify(keyId: string, channel: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const rows = returnedRows<{ key_hash: string }>(await m.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING key_hash', [keyId]));
      if (!rows[0]) return false;
      await m.query('SELECT pg_notify($1, $2)', [channel, rows[0].key_hash]);
      return true;
    });
  }

  /** The account's keys, revoked ones included, oldest first. */
  list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { accountId }, order: { createdAt: 'ASC' } });
  }
}
