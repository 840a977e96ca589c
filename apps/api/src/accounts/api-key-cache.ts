import { Injectable } from '@nestjs/common';
import { NotifiedCache } from '../notifications/notified-cache';
import { PgNotifications, PG_CHANNELS } from '../notifications/pg-notifications';
import { ApiKeys, type AuthenticatedKey, hashApiKey } from './api-keys';

/**
 * Remembers valid keys for a short while, so an authenticated request costs no query. A revocation is announced with
 * Postgres NOTIFY in the revoking transaction and evicts the key here at once; while the LISTEN connection is down the
 * cache is not used at all, so a revoked key is never accepted for longer than the notification takes.
 */
@Injectable()
export class ApiKeyCache {
  private readonly keys: NotifiedCache<AuthenticatedKey | null>;

  constructor(
    private readonly apiKeys: ApiKeys,
    notifications: PgNotifications,
  ) {
    this.keys = new NotifiedCache(notifications, 30_000, 100_000);
    notifications.on(PG_CHANNELS.apiKeyRevoked, (hash) => this.keys.delete(hash));
  }

  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    const hash = hashApiKey(key);
    // Unknown keys are not remembered: a key created a moment ago must work at once.
    return this.keys.getOr(hash, () => this.apiKeys.lookup(hash), (found) => found !== null);
  }
}
