import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { LOGGER, type Logger } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';
import { API_KEY_REVOKED_CHANNEL, ApiKeys, type AuthenticatedKey, hashApiKey } from './api-keys';

/**
 * Remembers valid keys for a short while, so an authenticated request costs no query. A revocation is announced with
 * Postgres NOTIFY in the revoking transaction and evicts the key here at once; while that LISTEN connection is down the
 * cache is not used at all, so a revoked key is never accepted for longer than the notification takes.
 */
@Injectable()
export class ApiKeyCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly entries = new Map<string, { key: AuthenticatedKey; until: number }>();
  private listener: Client | null = null;
  private listening = false;
  private closed = false;
  private static readonly TTL_MS = 30_000;
  private static readonly MAX_ENTRIES = 100_000;

  constructor(
    private readonly apiKeys: ApiKeys,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith('sk_') || key.length > 200) return null;
    const hash = hashApiKey(key);
    const now = Date.now();
    if (this.listening) {
      const hit = this.entries.get(hash);
      if (hit && hit.until > now) return hit.key;
    }
    const found = await this.apiKeys.lookup(hash);
    if (found && this.listening) {
      if (this.entries.size >= ApiKeyCache.MAX_ENTRIES) this.entries.clear();
      this.entries.set(hash, { key: found, until: now + ApiKeyCache.TTL_MS });
    }
    return found;
  }

  async onApplicationBootstrap() {
    await this.listen();
  }

  async onApplicationShutdown() {
    this.closed = true;
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'parley-api-key-revocations' });
    const down = (err?: unknown) => {
      if (this.listener !== client) return;
      this.listening = false;
      this.entries.clear();
      this.listener = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err }, 'api key revocation listener lost; caching off until it reconnects');
      setTimeout(() => void this.listen(), 1000).unref();
    };
    try {
      this.listener = client;
      client.on('error', down);
      client.on('end', () => down());
      client.on('notification', (n) => {
        if (n.channel === API_KEY_REVOKED_CHANNEL && n.payload) this.entries.delete(n.payload);
      });
      await client.connect();
      await client.query(`LISTEN ${API_KEY_REVOKED_CHANNEL}`);
      this.listening = true;
    } catch (err) {
      down(err);
    }
  }
}
