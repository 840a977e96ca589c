import type { DialerInstancesRepository } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { DialerMetrics } from '../metrics/dialer-metrics';

/** This dialer's lease, for the writes that must be fenced by it. */
export interface DialerLease {
  readonly dialerId: string;
  /** The epoch taken at start; null before start. */
  readonly epoch: string | null;
}

/**
 * This dialer's ownership lease in `dialer_instances`: a row with an expiry that the heartbeat pushes forward, and an
 * epoch drawn from a sequence when the dialer starts. Others read it to know whether the calls and trunk slots this
 * one holds are still looked after; once it runs out, they adopt its calls and free its slots.
 *
 * Starting takes a new epoch even when the row exists: a restarted dialer with the same DIALER_ID owns its calls again
 * at once, and the process it replaces (if it still runs, stalled) is fenced: its renewals and ownership writes name
 * the old epoch and fail. A renewal also fails once the lease has run out (others may have adopted the calls), and
 * then `onLost` tells the dialer to stop acting.
 *
 * The lease runs on its own connection (`LEASE_DATA_SOURCE`), not the pool every call's queries share: a burst of
 * dispatches queues hundreds of queries there, and a renewal waiting behind them let a healthy dialer's lease run out.
 * Renewals never overlap: the next one is scheduled once the previous one is done.
 */
export class DialerPresence implements DialerLease {
  private timer: NodeJS.Timeout | undefined;
  private current: string | null = null;
  private lost = false;
  private stopped = false;
  onLost: () => void = () => undefined;

  constructor(
    /** On the lease's own connection, apart from the pool of call traffic. */
    private readonly leases: DialerInstancesRepository,
    readonly dialerId: string,
    private readonly opts: { heartbeatMs: number; leaseMs: number },
    private readonly logger: Logger,
    private readonly metrics?: Pick<DialerMetrics, 'leaseRenewal'>,
  ) {}

  get epoch(): string | null {
    return this.current;
  }

  async start(): Promise<void> {
    this.current = await this.leases.start(this.dialerId, this.opts.leaseMs);
    this.schedule(this.opts.heartbeatMs);
  }

  /** The next renewal, `delayMs` from now; each one schedules the next when it is done, so they never overlap. */
  private schedule(delayMs: number): void {
    if (this.stopped || this.lost) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.renew()
        .catch((err: Error) => this.logger.warn({ err }, 'dialer lease renewal failed'))
        .finally(() => this.schedule(Math.max(0, this.opts.heartbeatMs - (Date.now() - started))));
    }, delayMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.lost || this.current === null) return;
    const started = process.hrtime.bigint();
    let result = 'error';
    try {
      result = (await this.leases.renew(this.dialerId, this.current, this.opts.leaseMs)) ? 'renewed' : 'lost';
    } finally {
      this.metrics?.leaseRenewal.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    if (result === 'renewed') return;
    this.lost = true;
    clearTimeout(this.timer);
    this.logger.error({ dialer_id: this.dialerId, epoch: this.current }, 'dialer lease lost (ran out, or a newer process with this DIALER_ID took it): this dialer stops acting on calls');
    this.onLost();
  }

  /** Stops renewing; `leave` also gives the lease up so that others take over this dialer's calls at once. */
  async stop(leave: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (leave && this.current !== null) await this.leases.leave(this.dialerId, this.current).catch(() => undefined);
  }

  /** Forgets dialers gone for a day (their rows only matter while their calls might be live). */
  async prune(): Promise<void> {
    await this.leases.prune();
  }
}
