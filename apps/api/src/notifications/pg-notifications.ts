import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client, type Notification } from 'pg';
import { LOGGER, type Logger } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';

/** Channels this api listens on. */
export const PG_CHANNELS = {
  apiKeyRevoked: 'parley_api_key_revoked',
  configChanged: 'parley_config_changed',
} as const;
type Channel = (typeof PG_CHANNELS)[keyof typeof PG_CHANNELS];

/**
 * One Postgres LISTEN connection for the api's caches. `listening` is true only while the connection is up: a cache
 * must not serve from memory otherwise (it could miss an invalidation), and `onReset` tells caches to drop everything
 * whenever the connection is lost.
 */
@Injectable()
export class PgNotifications implements OnModuleInit, OnApplicationShutdown {
  private client: Client | null = null;
  private closed = false;
  private up = false;
  private readonly handlers = new Map<Channel, Array<(payload: string) => void>>();
  private readonly resets: Array<() => void> = [];

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get listening(): boolean {
    return this.up;
  }

  on(channel: Channel, handler: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onReset(handler: () => void): void {
    this.resets.push(handler);
  }

  async onModuleInit() {
    await this.connect();
  }

  async onApplicationShutdown() {
    this.closed = true;
    this.up = false;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'parley-api-notifications' });
    this.client = client;
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      this.up = false;
      for (const r of this.resets) r();
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err }, 'Postgres LISTEN connection lost; api caches are off until it is back');
      setTimeout(() => void this.connect(), 1000).unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n: Notification) => {
      for (const h of this.handlers.get(n.channel as Channel) ?? []) h(n.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of Object.values(PG_CHANNELS)) await client.query(`LISTEN ${channel}`);
      this.up = true;
    } catch (err) {
      lost(err);
    }
  }
}
