import { type AsterisksRepository, SecretBox } from '@parley/db';
import { type Logger, PeriodicCheck } from '@parley/service-kit';
import type { DialerConfig } from '../config';
import { type AsteriskConnection, type AsteriskConnections, type AsteriskDefinition, DEFAULT_ASTERISK } from './asterisk-connections';

/**
 * Keeps the dialer's connections in line with the `asterisks` table, read at start and every
 * `ASTERISK_REGISTRY_RELOAD_MS`: an Asterisk added with `pnpm parley asterisks add` is connected without a restart,
 * a removed one takes no new call and is closed once its calls ended. ARI_URL, when set, is one more Asterisk named
 * `default` (unless the table has one of that name), so one-Asterisk installs need no registry. Each reload also
 * reads how many live calls other dialers hold on each Asterisk, for placement.
 */
export class AsteriskRegistry {
  private readonly box: SecretBox;
  private readonly periodic: PeriodicCheck;
  private othersLoad = new Map<string, number>();

  constructor(
    private readonly deps: {
      asterisks: AsterisksRepository;
      connections: AsteriskConnections;
      /** Whether a call still uses a connection (a retiring one is closed when none does). */
      inUse: (conn: AsteriskConnection) => boolean;
      /** Called with the names of newly connected Asterisks (their trunks are pushed once they connect). */
      onChanged: (change: { added: string[]; retired: string[] }) => void;
      config: Pick<DialerConfig, 'DIALER_ID' | 'ARI_URL' | 'ARI_USER' | 'ARI_PASSWORD' | 'PARLEY_SECRET_KEY' | 'PARLEY_SECRET_KEY_PREVIOUS' | 'ASTERISK_REGISTRY_RELOAD_MS'>;
      logger: Logger;
    },
  ) {
    this.box = new SecretBox(deps.config.PARLEY_SECRET_KEY, deps.config.PARLEY_SECRET_KEY_PREVIOUS);
    this.periodic = new PeriodicCheck({ what: 'reading the Asterisk registry', intervalMs: deps.config.ASTERISK_REGISTRY_RELOAD_MS, logger: deps.logger }, () => this.run());
  }

  /** Live calls other dialers hold on this Asterisk, as of the last reload. */
  othersLoadOf(name: string): number {
    return this.othersLoad.get(name) ?? 0;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    void this.periodic.stop();
  }

  /** Reads the registry and applies it (one at a time: a reload asked for during one joins it). */
  reload(): Promise<void> {
    return this.periodic.tick();
  }

  private async run(): Promise<void> {
    const { asterisks, connections, inUse, onChanged, config, logger } = this.deps;
    const rows = await asterisks.list();
    const definitions: AsteriskDefinition[] = [];
    for (const row of rows) {
      let password: string;
      try {
        password = this.box.open(row.ariPasswordEncrypted);
      } catch (err) {
        logger.error({ err, asterisk: row.name }, 'the ARI password of an Asterisk cannot be decrypted (PARLEY_SECRET_KEY differs from the CLI\'s?); not connected');
        continue;
      }
      definitions.push({ name: row.name, url: row.ariUrl, username: row.ariUsername, password, capacity: row.capacity, site: row.site, labels: row.labels });
    }
    if (config.ARI_URL && !definitions.some((d) => d.name === DEFAULT_ASTERISK)) {
      definitions.push({ name: DEFAULT_ASTERISK, url: config.ARI_URL, username: config.ARI_USER, password: config.ARI_PASSWORD, capacity: Infinity, site: null, labels: [] });
    }
    const change = connections.apply(definitions);
    if (change.added.length > 0) logger.info({ asterisks: change.added }, 'Asterisks added');
    if (change.retired.length > 0) logger.info({ asterisks: change.retired }, 'Asterisks retiring: no new calls, closed once their calls end');
    const closed = await connections.closeRetired(inUse);
    if (closed.length > 0) logger.info({ asterisks: closed }, 'retired Asterisks closed');
    this.othersLoad = await asterisks.liveCallsOfOthers(config.DIALER_ID);
    if (change.added.length > 0 || change.retired.length > 0) onChanged(change);
  }
}
