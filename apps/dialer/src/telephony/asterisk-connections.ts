import { AriClient, AriError, type AriEvent } from '@parley/ari-client';
import type { Logger } from '@parley/service-kit';
import type { DialerConfig } from '../config';
import { StasisChannels } from './stasis-channels';

export type AsteriskName = 'sandbox' | 'asterisk';

/** One ARI connection (REST + events WebSocket of our Stasis app) to one Asterisk, real or simulated. */
export class AsteriskConnection {
  readonly client: AriClient;
  /** Channels in our Stasis app; fed by the event stream before any other listener sees an event. */
  readonly stasis: StasisChannels;
  private everConnected = false;

  constructor(
    readonly name: AsteriskName,
    readonly url: string,
    readonly app: string,
    credentials: { username: string; password: string },
  ) {
    this.client = new AriClient({ url, username: credentials.username, password: credentials.password, app, subscribeAll: true, reconnect: { initialDelayMs: 200, maxDelayMs: 5000 }, pingIntervalMs: 5000 });
    // A channel's snapshot names the app it runs: `Stasis` while it is in ours (as adoption reads it too).
    this.stasis = new StasisChannels((id) =>
      this.client.channels.get(id).then(
        (ch) => ch.dialplan?.app_name === 'Stasis',
        (err: unknown) => {
          if (err instanceof AriError && err.isNotFound) return false;
          throw err;
        },
      ),
    );
    this.client.on('event', (event) => this.stasis.observe(event));
    this.client.on('reconnected', () => void this.stasis.recheckWaiting());
  }

  get isConnected(): boolean {
    return this.client.events.isConnected;
  }
  get hasConnected(): boolean {
    return this.everConnected;
  }
  markConnected(): void {
    this.everConnected = true;
  }
}

export interface ConnectionHandlers {
  onEvent(conn: AsteriskConnection, event: AriEvent): void;
  /** After the first connect and every reconnect: what happened while we were not listening must be caught up. */
  onConnected(conn: AsteriskConnection, reconnect: boolean): void;
}

/**
 * The dialer's Asterisks: the simulator (always; it serves `sandbox` trunks) and the real one when ARI_URL is set.
 * Connecting never blocks start-up: the WebSocket retries with backoff and readiness reports each connection.
 */
export class AsteriskConnections {
  readonly sandbox: AsteriskConnection;
  readonly asterisk: AsteriskConnection | null;
  private closing = false;

  constructor(
    config: Pick<DialerConfig, 'ARI_URL' | 'ARI_USER' | 'ARI_PASSWORD' | 'ARI_APP' | 'SIM_ARI_URL' | 'SIM_ARI_USER' | 'SIM_ARI_PASSWORD'>,
    private readonly logger: Logger,
  ) {
    this.sandbox = new AsteriskConnection('sandbox', config.SIM_ARI_URL, config.ARI_APP, { username: config.SIM_ARI_USER, password: config.SIM_ARI_PASSWORD });
    this.asterisk = config.ARI_URL ? new AsteriskConnection('asterisk', config.ARI_URL, config.ARI_APP, { username: config.ARI_USER, password: config.ARI_PASSWORD }) : null;
  }

  all(): AsteriskConnection[] {
    return this.asterisk ? [this.sandbox, this.asterisk] : [this.sandbox];
  }

  /** Sandbox trunks ring the simulator; every other trunk the real Asterisk (null when none is configured). */
  forTrunk(trunk: { sandbox: boolean }): AsteriskConnection | null {
    return trunk.sandbox ? this.sandbox : this.asterisk;
  }

  start(handlers: ConnectionHandlers): void {
    for (const conn of this.all()) {
      const log = this.logger.child({ asterisk: conn.name, url: conn.url });
      conn.client.on('event', (event) => handlers.onEvent(conn, event));
      conn.client.on('connected', () => {
        conn.markConnected();
        log.info('ARI events connected');
        handlers.onConnected(conn, false);
      });
      conn.client.on('reconnected', (info) => {
        log.info({ attempts: info.attempts, downtime_ms: info.downtimeMs }, 'ARI events reconnected');
        handlers.onConnected(conn, true);
      });
      conn.client.on('disconnected', (info) => log.warn({ code: info.code, reason: info.reason, will_reconnect: info.willReconnect }, 'ARI events disconnected'));
      conn.client.on('error', (err) => log.warn({ err }, 'ARI events error'));
      conn.client.connect().catch((err: Error) => {
        if (!this.closing) log.error({ err }, 'ARI events connection failed for good');
      });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.all().map((c) => c.client.close()));
  }
}
