import { type Logger, PeriodicCheck } from '@parley/service-kit';
import type { AsteriskConnections } from '../telephony/asterisk-connections';
import type { ChannelAdoption } from './channel-adoption';

/**
 * Asks at every heartbeat whether a live call has lost its owner (its dialer's lease ran out), and if so reconciles
 * at once instead of waiting for the watchdog. With it, a dead dialer's calls are adopted within its lease length
 * plus one heartbeat plus one reconciliation (see the README's "Recovery").
 */
export class OrphanWatch {
  private readonly periodic: PeriodicCheck;

  constructor(private readonly deps: { connections: AsteriskConnections; adoption: ChannelAdoption; intervalMs: number; logger: Logger }) {
    this.periodic = new PeriodicCheck({ what: 'orphaned call check', intervalMs: deps.intervalMs, logger: deps.logger }, () => this.run());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    void this.periodic.stop();
  }

  check(): Promise<void> {
    return this.periodic.tick();
  }

  private async run(): Promise<void> {
    const { connections, adoption } = this.deps;
    const connected = connections.all().filter((c) => c.isConnected);
    if (connected.length === 0 || !(await adoption.hasOrphans())) return;
    for (const conn of connected) await adoption.reconcile(conn);
  }
}
