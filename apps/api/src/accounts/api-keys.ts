import { createHash } from 'node:crypto';
import { ApiKeyEntity, type DataSource } from '@parley/db';
import { base62, newId } from '../http/ids';

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

  /** Looks the key up by hash on every request, so a revocation takes effect at once in every api process. */
  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    const rows: Array<{ id: string; account_id: string }> = await this.ds.query('SELECT id, account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [hashApiKey(key)]);
    const row = rows[0];
    return row ? { id: row.id, accountId: row.account_id } : null;
  }

  async revoke(keyId: string): Promise<boolean> {
    const result = await this.ds.getRepository(ApiKeyEntity).createQueryBuilder().update().set({ revokedAt: () => 'now()' }).where('id = :id AND revoked_at IS NULL', { id: keyId }).execute();
    return (result.affected ?? 0) > 0;
  }

  async list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.ds.getRepository(ApiKeyEntity).find({ where: { accountId }, order: { createdAt: 'ASC' } });
  }
}
