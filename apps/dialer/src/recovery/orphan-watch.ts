import type { Logger } from '@parley/service-kit';
import type { AsteriskConnections } from '../telephony/asterisk-connections';
import type { ChannelAdoption } from './channel-adoption';

/**
 * Asks at every heartbeat whether a live call has lost its owner (its dialer's lease ran out), and if so reconciles
 * at once instead of waiting for the watchdog. With it, a dead dialer's calls are adopted within its lease length
 * plus one heartbeat plus one reconciliation (see the README's "Recovery").
 */
export class OrphanWatch {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;

  constructor(private readonly deps: { connections: AsteriskConnections; adoption: ChannelAdoption; intervalMs: number; logger: Logger }) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  check(): Promise<void> {
    this.checking ??= this.run()
      .catch((err: Error) => this.deps.logger.warn({ err }, 'orphaned call check failed'))
      .finally(() => (this.checking = null));
    return this.checking;
  }

  private async run(): Promise<void> {
    const { connections, adoption } = this.deps;
    const connected = connections.all().filter((c) => c.isConnected);
    if (connected.length === 0 || !(await adoption.hasOrphans())) return;
    for (const conn of connected) await adoption.reconcile(conn);
  }
}
