import type { PgNotifications } from './pg-notifications';

/**
 * A bounded TTL map that serves only while the LISTEN connection is up (so no invalidation can be missed) and empties
 * itself whenever that connection is lost. Its owner evicts entries from the notifications it subscribes to.
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly notifications: PgNotifications,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {
    notifications.onReset(() => this.entries.clear());
  }

  /** The cached value, or `loaded()` (remembered only while notifications are flowing). */
  async getOr(key: string, loaded: () => Promise<V>, cacheIf: (v: V) => boolean = () => true): Promise<V> {
    const cacheable = this.notifications.listening;
    const now = Date.now();
    if (cacheable) {
      const hit = this.entries.get(key);
      if (hit && hit.until > now) return hit.value;
    }
    const value = await loaded();
    if (cacheable && cacheIf(value)) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, until: now + this.ttlMs });
    }
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteByPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
