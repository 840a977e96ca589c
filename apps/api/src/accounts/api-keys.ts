import { createHash } from 'node:crypto';
import { type ActiveApiKey, type ApiKeyEntity, ApiKeysRepository, type Queryable } from '@parley/db';
import { base62, newId } from '../http/ids';
import { PG_CHANNELS } from '../notifications/pg-notifications';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The account a request's key acts for. */
export type AuthenticatedKey = ActiveApiKey;

/** API keys: `sk_live_` + 32 base62 characters, shown once, stored as SHA-256 with a visible prefix. */
export class ApiKeys {
  private readonly keys: ApiKeysRepository;

  constructor(db: Queryable) {
    this.keys = new ApiKeysRepository(db);
  }

  async create(accountId: string, name: string | null = null): Promise<{ id: string; key: string; prefix: string }> {
    const key = `sk_live_${base62(32)}`;
    const row = { id: newId.apiKey(), accountId, prefix: key.slice(0, 12), keyHash: hashApiKey(key), name };
    await this.keys.create(row);
    return { id: row.id, key, prefix: row.prefix };
  }

  /** Looks a key up by its hash (valid keys only). */
  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    return this.lookup(hashApiKey(key));
  }

  async lookup(keyHash: string): Promise<AuthenticatedKey | null> {
    return this.keys.findActive(keyHash);
  }

  /** Revokes a key and tells every api process (they cache keys they have seen) in the same transaction. */
  revoke(keyId: string): Promise<boolean> {
    return this.keys.revokeAndNotify(keyId, PG_CHANNELS.apiKeyRevoked);
  }

  list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.keys.list(accountId);
  }
}
