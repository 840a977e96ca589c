import { createHash } from 'node:crypto';
import { ApiKeyEntity, type DataSource, returnedRows } from '@parley/db';
import { base62, newId } from '../http/ids';
import { PG_CHANNELS } from '../notifications/pg-notifications';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}


export interface AuthenticatedKey {
  id: string;
  accountId: string;
}

/** API keys: `sk_live_` + 32 base62 characters, shown once, stored as SHA-256 with a visible prefix. */
export class ApiKeys {
  constructor(private readonly ds: DataSource) {}

  async create(accountId: string, name: string | null = null): Promise<{ id: string; key: string; prefix: string }> {
    const key = `sk_live_${base62(32)}`;
    const row = this.ds.getRepository(ApiKeyEntity).create({ id: newId.apiKey(), accountId, prefix: key.slice(0, 12), keyHash: hashApiKey(key), name, revokedAt: null });
    await this.ds.getRepository(ApiKeyEntity).insert(row);
    return { id: row.id, key, prefix: row.prefix };
  }

  /** Looks a key up by its hash (valid keys only). */
  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    return this.lookup(hashApiKey(key));
  }

  async lookup(keyHash: string): Promise<AuthenticatedKey | null> {
    const rows: Array<{ id: string; account_id: string }> = await this.ds.query('SELECT id, account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash]);
    const row = rows[0];
    return row ? { id: row.id, accountId: row.account_id } : null;
  }

  /** Revokes a key and tells every api process (they cache keys they have seen) in the same transaction. */
  async revoke(keyId: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const rows = returnedRows<{ key_hash: string }>(await m.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING key_hash', [keyId]));
      if (!rows[0]) return false;
      await m.query('SELECT pg_notify($1, $2)', [PG_CHANNELS.apiKeyRevoked, rows[0].key_hash]);
      return true;
    });
  }

  async list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.ds.getRepository(ApiKeyEntity).find({ where: { accountId }, order: { createdAt: 'ASC' } });
  }
}
