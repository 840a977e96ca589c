import { Injectable } from '@nestjs/common';
import { PgNotifications, PG_CHANNELS } from '../notifications/pg-notifications';
import { ApiKeys, type AuthenticatedKey, hashApiKey } from './api-keys';

/**
 * Remembers valid keys for a short while, so an authenticated request costs no query. A revocation is announced with
 * Postgres NOTIFY in the revoking transaction and evicts the key here at once; while the LISTEN connection is down the
 * cache is not used at all, so a revoked key is never accepted for longer than the notification takes.
 */
@Injectable()
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: AuthenticatedKey; until: number }>();
  private static readonly TTL_MS = 30_000;
  private static readonly MAX_ENTRIES = 100_000;

  constructor(
    private readonly apiKeys: ApiKeys,
    private readonly notifications: PgNotifications,
  ) {
    notifications.on(PG_CHANNELS.apiKeyRevoked, (hash) => this.entries.delete(hash));
    notifications.onReset(() => this.entries.clear());
  }

  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    const hash = hashApiKey(key);
    const now = Date.now();
    const cacheable = this.notifications.listening;
    if (cacheable) {
      const hit = this.entries.get(hash);
      if (hit && hit.until > now) return hit.key;
    }
    const found = await this.apiKeys.lookup(hash);
    if (found && cacheable) {
      if (this.entries.size >= ApiKeyCache.MAX_ENTRIES) this.entries.clear();
      this.entries.set(hash, { key: found, until: now + ApiKeyCache.TTL_MS });
    }
    return found;
  }
}
