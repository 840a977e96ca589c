import { AriClient, AriError, type AriEvent } from '@parley/ari-client';
import type { Logger } from '@parley/service-kit';
import type { DialerConfig } from '../config';
import { StasisChannels } from './stasis-channels';

/** The simulator's name: it serves `sandbox` trunks. */
export const SANDBOX_ASTERISK = 'sandbox';
/** The Asterisk ARI_URL names, for one-Asterisk installs without a registry. */
export const DEFAULT_ASTERISK = 'default';

/** How to reach one Asterisk, and what it may carry. */
export interface AsteriskDefinition {
  name: string;
  url: string;
  username: string;
  password: string;
  /** Most concurrent calls placed on it (Infinity: no limit). */
  capacity: number;
  site: string | null;
  labels: string[];
}

/** One ARI connection (REST + events WebSocket of our Stasis app) to one Asterisk, real or simulated. */
export class AsteriskConnection {
  readonly client: AriClient;
  /** Channels in our Stasis app; fed by the event stream before any other listener sees an event. */
  readonly stasis: StasisChannels;
  readonly name: string;
  readonly url: string;
  capacity: number;
  site: string | null;
  labels: string[];
  /** Removed from the registry (or changed address): takes no new calls, closed once its calls ended. */
  retiring = false;
  /** Channels of calls ended while this Asterisk was unreachable: hung up when it is back. */
  readonly abandoned = new Set<string>();
  private everConnected = false;
  private readonly credentialsKey: string;

  constructor(definition: AsteriskDefinition, readonly app: string) {
    this.name = definition.name;
    this.url = definition.url;
    this.capacity = definition.capacity;
    this.site = definition.site;
    this.labels = definition.labels;
    this.credentialsKey = keyOf(definition);
    this.client = new AriClient({ url: definition.url, username: definition.username, password: definition.password, app, subscribeAll: true, reconnect: { initialDelayMs: 200, maxDelayMs: 5000 }, pingIntervalMs: 5000 });
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
  get isSandbox(): boolean {
    return this.name === SANDBOX_ASTERISK;
  }
  markConnected(): void {
    this.everConnected = true;
  }
  /** Whether this connection reaches the Asterisk a definition describes (same address and credentials). */
  reaches(definition: AsteriskDefinition): boolean {
    return keyOf(definition) === this.credentialsKey;
  }
}

function keyOf(d: AsteriskDefinition): string {
  return JSON.stringify([d.url, d.username, d.password]);
}

export interface ConnectionHandlers {
  onEvent(conn: AsteriskConnection, event: AriEvent): void;
  /** After the first connect and every reconnect: what happened while we were not listening must be caught up. */
  onConnected(conn: AsteriskConnection, reconnect: boolean): void;
  /** The connection has been down for `lostAfterMs`: the calls on it are given up. */
  onLost(conn: AsteriskConnection): void;
}

/**
 * The dialer's Asterisks: the simulator (always; it serves `sandbox` trunks) and every registered one (the
 * `asterisks` table, read by AsteriskRegistry; ARI_URL counts as one named `default`). Connecting never blocks
 * start-up: each WebSocket retries with backoff and the readiness and metrics report each connection.
 */
export class AsteriskConnections {
  readonly sandbox: AsteriskConnection;
  private readonly active = new Map<string, AsteriskConnection>();
  private readonly retiring = new Set<AsteriskConnection>();
  private handlers: ConnectionHandlers | null = null;
  private readonly lostTimers = new Map<AsteriskConnection, NodeJS.Timeout>();
  private closing = false;

  constructor(
    private readonly config: Pick<DialerConfig, 'ARI_APP' | 'SIM_ARI_URL' | 'SIM_ARI_USER' | 'SIM_ARI_PASSWORD' | 'ASTERISK_LOST_AFTER_MS'>,
    private readonly logger: Logger,
  ) {
    this.sandbox = new AsteriskConnection({ name: SANDBOX_ASTERISK, url: config.SIM_ARI_URL, username: config.SIM_ARI_USER, password: config.SIM_ARI_PASSWORD, capacity: Infinity, site: null, labels: [] }, config.ARI_APP);
  }

  /** Every connection, retiring ones included (their calls' events still count). */
  all(): AsteriskConnection[] {
    return [this.sandbox, ...this.active.values(), ...this.retiring];
  }

  /** The registered Asterisks that take new calls. */
  registered(): AsteriskConnection[] {
    return [...this.active.values()];
  }

  byName(name: string): AsteriskConnection | undefined {
    return name === SANDBOX_ASTERISK ? this.sandbox : this.active.get(name);
  }

  /** The Asterisks that may carry a trunk's calls: the simulator for sandbox trunks, else the registered ones it names (all when it names none). */
  carriersOf(trunk: { sandbox: boolean; asterisks: string[] }): AsteriskConnection[] {
    if (trunk.sandbox) return [this.sandbox];
    const all = this.registered();
    return trunk.asterisks.length === 0 ? all : all.filter((c) => trunk.asterisks.includes(c.name));
  }

  /**
   * The connection a live call is on: the one its row names (any connection of that name, a retiring one included),
   * else, for calls from before Asterisks were recorded, the simulator or `default`.
   */
  ofCall(call: { sandbox: boolean; asterisk: string | null }): AsteriskConnection | undefined {
    const name = call.asterisk ?? (call.sandbox ? SANDBOX_ASTERISK : DEFAULT_ASTERISK);
    return this.byName(name) ?? [...this.retiring].find((c) => c.name === name);
  }

  /**
   * Brings the registered connections in line with the registry: new Asterisks are connected, changed ones updated
   * (capacity, site, labels) or, when their address or credentials changed, replaced; removed ones retire.
   */
  apply(definitions: AsteriskDefinition[]): { added: string[]; retired: string[] } {
    const added: string[] = [];
    const retired: string[] = [];
    const wanted = new Map(definitions.map((d) => [d.name, d]));
    for (const [name, conn] of this.active) {
      const d = wanted.get(name);
      if (d && conn.reaches(d)) {
        conn.capacity = d.capacity;
        conn.site = d.site;
        conn.labels = d.labels;
        continue;
      }
      this.active.delete(name);
      conn.retiring = true;
      this.retiring.add(conn);
      retired.push(name);
    }
    for (const d of definitions) {
      if (this.active.has(d.name) || d.name === SANDBOX_ASTERISK) continue;
      const conn = new AsteriskConnection(d, this.config.ARI_APP);
      this.active.set(d.name, conn);
      added.push(d.name);
      if (this.handlers) this.connect(conn, this.handlers);
    }
    return { added, retired };
  }

  /** Closes retiring connections that no call uses any more. */
  async closeRetired(inUse: (conn: AsteriskConnection) => boolean): Promise<string[]> {
    const closed: AsteriskConnection[] = [...this.retiring].filter((c) => !inUse(c));
    for (const conn of closed) {
      this.retiring.delete(conn);
      clearTimeout(this.lostTimers.get(conn));
      this.lostTimers.delete(conn);
    }
    await Promise.allSettled(closed.map((c) => c.client.close()));
    return closed.map((c) => c.name);
  }

  start(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    for (const conn of this.all()) this.connect(conn, handlers);
  }

  private connect(conn: AsteriskConnection, handlers: ConnectionHandlers): void {
    const log = this.logger.child({ asterisk: conn.name, url: conn.url });
    const back = () => {
      clearTimeout(this.lostTimers.get(conn));
      this.lostTimers.delete(conn);
    };
    conn.client.on('event', (event) => handlers.onEvent(conn, event));
    conn.client.on('connected', () => {
      back();
      conn.markConnected();
      log.info('ARI events connected');
      handlers.onConnected(conn, false);
    });
    conn.client.on('reconnected', (info) => {
      back();
      log.info({ attempts: info.attempts, downtime_ms: info.downtimeMs }, 'ARI events reconnected');
      handlers.onConnected(conn, true);
    });
    conn.client.on('disconnected', (info) => {
      log.warn({ code: info.code, reason: info.reason, will_reconnect: info.willReconnect }, 'ARI events disconnected');
      if (this.closing || this.lostTimers.has(conn)) return;
      const timer = setTimeout(() => {
        this.lostTimers.delete(conn);
        if (!conn.isConnected && !this.closing) handlers.onLost(conn);
      }, this.config.ASTERISK_LOST_AFTER_MS);
      timer.unref();
      this.lostTimers.set(conn, timer);
    });
    conn.client.on('error', (err) => log.warn({ err }, 'ARI events error'));
    conn.client.connect().catch((err: Error) => {
      if (!this.closing) log.error({ err }, 'ARI events connection failed for good');
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.lostTimers.values()) clearTimeout(t);
    this.lostTimers.clear();
    await Promise.allSettled(this.all().map((c) => c.client.close()));
  }
}
